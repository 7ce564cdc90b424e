using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Dispatch;
using Automations.Features.Webhooks;
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

    /// <summary>Checks the wizard's (or the API's) input for this action and stores it on the automation; an
    /// <see cref="Infrastructure.InputException"/> names the field at fault.</summary>
    Task ApplyAsync(ActionInput input, CancellationToken ct);

    /// <summary>What the automation list says of the action, and whether it is broken and why.</summary>
    ActionView Describe(Automation automation, IReadOnlySet<string> secretNames);

    /// <summary>The run's own copy of the action, taken when the run is made: later edits of the automation do not change it.</summary>
    void Snapshot(Automation automation, AutomationRun run);

    /// <summary>One attempt of a leased run, and what to store of it.</summary>
    Task<ActionOutcome> AttemptAsync(ActionAttempt attempt, CancellationToken ct);
}

/// <summary>The input being applied to an automation of a project the caller may change.</summary>
public sealed record ActionInput(AppDbContext Db, ProjectAccess Access, Automation Automation, AutomationInput Input);

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
