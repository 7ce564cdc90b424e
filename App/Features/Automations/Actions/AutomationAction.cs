using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Dispatch;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Automations.Features.Automations.Actions;

/// <summary>
/// One kind of action an automation carries out (a webhook call, a launch job, …): everything the rest of the app needs
/// from it, in one place. Each is registered once as a keyed service under its type name
/// (<see cref="AutomationActionRegistration.AddAutomationAction{T}"/>); the automation service, the event listener and
/// the delivery job look it up in <see cref="AutomationActions"/> instead of switching on the type.
/// </summary>
public interface IAutomationAction
{
    /// <summary>The stored and API name (<c>webhook</c>, <c>job</c>).</summary>
    string Type { get; }

    /// <summary>What people read (<c>Webhook</c>, <c>Job</c>).</summary>
    string DisplayName { get; }

    /// <summary>The wizard's choice for it (<c>Webhooks</c>, <c>Slack notification</c>).</summary>
    string WizardLabel { get; }

    /// <summary>The wizard's action step: a component deriving from <see cref="ActionStep"/>, kept in the action's folder.</summary>
    Type WizardStep { get; }

    /// <summary>Checks the wizard's (or the API's) input for this action and stores it on the automation; an
    /// <see cref="Infrastructure.InputException"/> names the field at fault.</summary>
    Task ApplyAsync(ActionInput input, CancellationToken ct);

    /// <summary>
    /// What the automation list says of each action of this type (in the order given), and whether it is broken and why.
    /// One call per type and list, so an action that looks something up does it once for all.
    /// </summary>
    Task<IReadOnlyList<ActionView>> DescribeAsync(ActionLookup lookup, IReadOnlyList<Automation> automations, CancellationToken ct);

    /// <summary>The action's settings as the API and the wizard read them back (<see cref="AutomationDetail.Action"/>); null for the webhook and job actions, whose settings have their own fields.</summary>
    object? Settings(Automation automation) => null;

    /// <summary>Why the team cannot use this action yet (no jobs, no Slack integration), for the wizard's first step; null when it can.</summary>
    Task<string?> UnavailableAsync(AppDbContext db, int teamId, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>The run's own copy of the action, taken when the run is made: later edits of the automation do not change it.</summary>
    void Snapshot(Automation automation, AutomationRun run);

    /// <summary>One attempt of a leased run, and what to store of it.</summary>
    Task<ActionOutcome> AttemptAsync(ActionAttempt attempt, CancellationToken ct);
}

/// <summary>
/// The input being applied to an automation the caller may change: of <paramref name="Project"/>, or of the whole team
/// when it is null (team-scoped).
/// </summary>
public sealed record ActionInput(AppDbContext Db, int TeamId, string? Project, Automation Automation, AutomationInput Input)
{
    /// <summary>The action's own part of the input (<see cref="AutomationInput.Action"/>) as <typeparamref name="T"/>; an empty one when absent.</summary>
    public T ActionAs<T>() where T : new()
    {
        if (Input.Action is not { ValueKind: System.Text.Json.JsonValueKind.Object } element)
        {
            return new T();
        }

        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<T>(element, System.Text.Json.JsonSerializerOptions.Web) ?? new T();
        }
        catch (System.Text.Json.JsonException)
        {
            throw new InputException("action", "The action's settings are not in the expected form.");
        }
    }
}

/// <summary>What <see cref="IAutomationAction.DescribeAsync"/> may look at: the team and its secret names.</summary>
public sealed record ActionLookup(AppDbContext Db, int TeamId, IReadOnlySet<string> SecretNames);

/// <summary>Name: what the action calls (a webhook's name, <c>job:v3</c>); Queue: where a job runs; Problem: why it cannot run, or null.</summary>
public sealed record ActionView(string? Name, string? Queue, string? Problem);

/// <summary>A leased run to attempt, in the delivery job's context.</summary>
public sealed record ActionAttempt(AppDbContext Db, AutomationRun Run);

public enum ActionOutcomeKind
{
    /// <summary>Done.</summary>
    Succeeded,

    /// <summary>Failed, and worth another try (after <see cref="ActionOutcome.RetryAfter"/> when the endpoint said when) while the schedule lasts.</summary>
    Retry,

    /// <summary>Failed for good: another try would fail the same way.</summary>
    Failed,

    /// <summary>Not attempted: the run waits, not due, until something makes it due again (a disabled webhook re-enabled).</summary>
    Parked,
}

/// <summary>
/// What an attempt came to. Attempt: the record to store (request, response, error); Webhook: the endpoint whose
/// failure count the attempt moves; Reason: why a parked run waits.
/// </summary>
public sealed record ActionOutcome(ActionOutcomeKind Kind, DeliveryAttempt? Attempt, TimeSpan? RetryAfter = null, Webhook? Webhook = null, string? Reason = null)
{
    public static ActionOutcome Succeeded(DeliveryAttempt attempt, Webhook? webhook = null) => new(ActionOutcomeKind.Succeeded, attempt, Webhook: webhook);

    public static ActionOutcome Retry(DeliveryAttempt attempt, TimeSpan? retryAfter, Webhook? webhook = null) => new(ActionOutcomeKind.Retry, attempt, retryAfter, webhook);

    public static ActionOutcome Failed(DeliveryAttempt attempt, Webhook? webhook = null) => new(ActionOutcomeKind.Failed, attempt, Webhook: webhook);

    public static ActionOutcome Parked(string reason) => new(ActionOutcomeKind.Parked, null, Reason: reason);
}

/// <summary>The registered actions, by type.</summary>
public sealed class AutomationActions(IServiceProvider services, IEnumerable<AutomationActionType> types)
{
    /// <summary>Every registered type, in registration order (the wizard's order).</summary>
    public IReadOnlyList<string> Types { get; } = types.Select(t => t.Type).ToList();

    public bool Exists(string? type) => type is not null && Types.Contains(type);

    /// <summary>The action of a stored type; a type no longer registered is a programming error.</summary>
    public IAutomationAction Get(string type) =>
        services.GetKeyedService<IAutomationAction>(type) ?? throw new InvalidOperationException($"No action of type '{type}' is registered.");

    public string DisplayName(string type) => Exists(type) ? Get(type).DisplayName : type;
}

/// <summary>Marks a registered action type, so the registry can list them.</summary>
public sealed record AutomationActionType(string Type);

public static class AutomationActionRegistration
{
    /// <summary>The one line that adds an action type: <c>services.AddAutomationAction&lt;WebhookAction&gt;(ActionTypes.Webhook)</c>.</summary>
    public static IServiceCollection AddAutomationAction<T>(this IServiceCollection services, string type)
        where T : class, IAutomationAction
    {
        services.AddKeyedScoped<IAutomationAction, T>(type);
        services.AddSingleton(new AutomationActionType(type));
        services.TryAddScoped<AutomationActions>();
        return services;
    }
}
