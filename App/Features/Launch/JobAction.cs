using System.Text;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Automations;
using Automations.Features.Automations.Actions;
using Automations.Features.Dispatch;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Launch;

/// <summary>Queue a run of one of the team's jobs (a version, or the latest) on a queue, with configuration overrides.</summary>
public sealed class JobAction(TimeProvider clock) : IAutomationAction
{
    public string Type => ActionTypes.Job;

    public string DisplayName => "Job";

    public string WizardLabel => "Jobs";

    public Type WizardStep => typeof(JobActionStep);

    public async Task<string?> UnavailableAsync(AppDbContext db, int teamId, CancellationToken ct) =>
        await db.LaunchJobs.AnyAsync(j => j.TeamId == teamId, ct) ? null
            : "The team has no jobs yet. A team admin creates them under Launch → Jobs.";

    /// <summary>The job (and version, or latest), queue, destination project of the team, and overrides.</summary>
    public async Task ApplyAsync(ActionInput context, CancellationToken ct)
    {
        var (db, teamId, project, automation, input) = context;
        var job = await db.LaunchJobs.Where(j => j.TeamId == teamId && j.Name == (input.Job ?? "").Trim())
            .Select(j => new { j.Id, j.Name }).FirstOrDefaultAsync(ct)
            ?? throw new InputException("job", string.IsNullOrWhiteSpace(input.Job) ? "Choose one of the team's jobs." : $"The team has no job '{input.Job.Trim()}'.");
        if (input.JobVersion is { } number && !await db.LaunchJobVersions.AnyAsync(v => v.JobId == job.Id && v.Number == number, ct))
        {
            throw new InputException("jobVersion", $"Job '{job.Name}' has no version v{number}.");
        }

        var queue = await db.LaunchQueues.Where(q => q.TeamId == teamId && q.Name == (input.Queue ?? "").Trim())
            .Select(q => new { q.Id, q.Name }).FirstOrDefaultAsync(ct)
            ?? throw new InputException("queue", string.IsNullOrWhiteSpace(input.Queue) ? "Choose the queue the run goes to." : $"The team has no queue '{input.Queue.Trim()}'.");
        var destination = string.IsNullOrWhiteSpace(input.DestinationProject)
            ? project ?? throw new InputException("destinationProject", "A team-wide automation needs the project its launch runs belong to.")
            : input.DestinationProject.Trim();
        var projectId = await db.Projects.Where(p => p.TeamId == teamId && p.Name == destination).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct)
            ?? throw new InputException("destinationProject", $"The team has no project '{destination}'.");
        if (Encoding.UTF8.GetByteCount(TextRules.Require(input.Overrides, "overrides") ?? "") > AutomationService.MaxTemplateBytes)
        {
            throw new InputException("overrides", $"The overrides must be at most {AutomationService.MaxTemplateBytes / 1024} KB.");
        }

        if (LaunchRules.OverrideErrors(input.Overrides) is { Count: > 0 } errors)
        {
            throw new InputException("overrides", string.Join(" ", errors));
        }

        automation.ClearAction();
        (automation.JobId, automation.JobName, automation.JobVersion) = (job.Id, job.Name, input.JobVersion);
        (automation.QueueId, automation.QueueName, automation.DestinationProjectId) = (queue.Id, queue.Name, projectId);
        automation.PayloadTemplate = string.IsNullOrWhiteSpace(input.Overrides) ? null : input.Overrides;
    }

    public Task<IReadOnlyList<ActionView>> DescribeAsync(ActionLookup lookup, IReadOnlyList<Automation> automations, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ActionView>>(automations.Select(Describe).ToList());

    private static ActionView Describe(Automation a)
    {
        var problem = a.Job is null ? $"Broken: job '{a.JobName}' was deleted. Edit the automation to choose another."
            : a.Queue is null ? $"Broken: queue '{a.QueueName}' was deleted. Edit the automation to choose another."
            : a.DestinationProject is null ? "Broken: its destination project was deleted."
            : null;
        return new ActionView($"{a.Job?.Name ?? a.JobName}:{(a.JobVersion is { } v ? $"v{v}" : "latest")}", a.Queue?.Name ?? a.QueueName, problem);
    }

    public void Snapshot(Automation automation, AutomationRun run) => run.Action = new ActionSnapshot
    {
        JobId = automation.JobId,
        JobName = automation.JobName,
        JobVersion = automation.JobVersion,
        Template = automation.PayloadTemplate,
        QueueId = automation.QueueId,
        QueueName = automation.QueueName,
        DestinationProjectId = automation.DestinationProjectId,
        Target = $"job {automation.JobName}:{(automation.JobVersion is { } v ? $"v{v}" : "latest")} on queue {automation.QueueName}",
    };

    /// <summary>
    /// Queues the launch run, in the same transaction as the attempt record, so a run is queued exactly once per attempt.
    /// Nothing to retry: a missing job or queue will not come back.
    /// </summary>
    public async Task<ActionOutcome> AttemptAsync(ActionAttempt context, CancellationToken ct)
    {
        var (db, run) = context;
        var startedAt = clock.GetUtcNow();
        var (launch, description) = await CreateLaunchRunAsync(db, run, startedAt, ct);
        var attempt = DeliveryAttempt.Of(run, startedAt, $"queue:{run.Action.QueueName}", launch?.ConfigJson ?? "", null, launch is null ? description : null);
        attempt.ResponseBody = launch is null ? null : description;
        return launch is null ? ActionOutcome.Failed(attempt) : ActionOutcome.Succeeded(attempt);
    }

    /// <summary>
    /// Adds (does not save) the launch run for an automation run, from
    /// its snapshot and stored event. Returns why not when the job, version, queue or project is gone or the
    /// overrides cannot be rendered.
    /// </summary>
    private static async Task<(LaunchRun? Run, string Description)> CreateLaunchRunAsync(AppDbContext db, AutomationRun run, DateTimeOffset now, CancellationToken ct)
    {
        var action = run.Action;
        var version = action.JobId is null ? null : await LaunchRules.ResolveVersionAsync(db.LaunchJobVersions.Where(v => v.JobId == action.JobId && v.Job.TeamId == run.TeamId), action.JobVersion, ct);
        if (version is null)
        {
            return (null, action.JobVersion is null || action.JobId is null || !await db.LaunchJobs.AnyAsync(j => j.Id == action.JobId, ct)
                ? $"The job '{action.JobName}' was deleted."
                : $"Job '{action.JobName}' has no version v{action.JobVersion}.");
        }

        if (action.QueueId is null || !await db.LaunchQueues.AnyAsync(q => q.Id == action.QueueId && q.TeamId == run.TeamId, ct))
        {
            return (null, $"The queue '{action.QueueName}' was deleted.");
        }

        if (action.DestinationProjectId is null || !await db.Projects.AnyAsync(p => p.Id == action.DestinationProjectId && p.TeamId == run.TeamId, ct))
        {
            return (null, "The destination project was deleted.");
        }

        JsonObject overrides;
        try
        {
            var rendered = PayloadTemplate.Render(string.IsNullOrWhiteSpace(action.Template) ? "{}" : action.Template,
                await TemplateContext.ForEventAsync(db, run.EventId, new Dictionary<string, string>(), ct));
            overrides = JsonNode.Parse(rendered) as JsonObject ?? throw new TemplateException("The overrides must be a JSON object.");
        }
        catch (TemplateException ex)
        {
            return (null, $"The overrides could not be rendered: {ex.Message}");
        }

        var launch = new LaunchRun
        {
            TeamId = run.TeamId,
            QueueId = action.QueueId.Value,
            JobVersionId = version.Id,
            ProjectId = action.DestinationProjectId.Value,
            ConfigJson = ConfigMerge.Merge(LaunchRules.ParseObject(version.DefaultConfigJson), overrides).ToJsonString(LaunchRules.Compact),
            AutomationId = run.AutomationId,
            AutomationRunId = run.Id,
            EventId = run.EventId,
            Status = LaunchRunStatus.Queued,
            CreatedAt = now,
            UpdatedAt = now,
            CreatedBy = $"automation #{run.AutomationId}",
        };
        db.LaunchRuns.Add(launch);
        return (launch, $"Queued {action.JobName}:v{version.Number} on queue '{action.QueueName}'.");
    }
}
