using System.Text;
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

    /// <summary>The job (and version, or latest), queue, destination project of the team, and overrides.</summary>
    public async Task ApplyAsync(ActionInput context, CancellationToken ct)
    {
        var (db, access, automation, input) = context;
        var teamId = access.Team.TeamId;
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
        var destination = string.IsNullOrWhiteSpace(input.DestinationProject) ? access.Name : input.DestinationProject.Trim();
        var projectId = await db.Projects.Where(p => p.TeamId == teamId && p.Name == destination).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct)
            ?? throw new InputException("destinationProject", $"The team has no project '{destination}'.");
        if (Encoding.UTF8.GetByteCount(TextRules.Require(input.Overrides, "overrides") ?? "") > AutomationService.MaxTemplateBytes)
        {
            throw new InputException("overrides", $"The overrides must be at most {AutomationService.MaxTemplateBytes / 1024} KB.");
        }

        if (LaunchService.OverrideErrors(input.Overrides) is { Count: > 0 } errors)
        {
            throw new InputException("overrides", string.Join(" ", errors));
        }

        automation.ClearAction();
        (automation.JobId, automation.JobName, automation.JobVersion) = (job.Id, job.Name, input.JobVersion);
        (automation.QueueId, automation.QueueName, automation.DestinationProjectId) = (queue.Id, queue.Name, projectId);
        automation.PayloadTemplate = string.IsNullOrWhiteSpace(input.Overrides) ? null : input.Overrides;
    }

    public ActionView Describe(Automation a, IReadOnlySet<string> secretNames)
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
    };

    /// <summary>
    /// Queues the launch run, in the same transaction as the attempt record, so a run is queued exactly once per attempt.
    /// Nothing to retry: a missing job or queue will not come back.
    /// </summary>
    public async Task<ActionOutcome> AttemptAsync(ActionAttempt context, CancellationToken ct)
    {
        var (db, run) = context;
        var startedAt = clock.GetUtcNow();
        var (launch, description) = await LaunchService.CreateForAutomationRunAsync(db, run, startedAt, ct);
        var attempt = DeliveryAttempt.Of(run, startedAt, $"queue:{run.Action.QueueName}", launch?.ConfigJson ?? "", null, launch is null ? description : null);
        attempt.ResponseBody = launch is null ? null : description;
        return launch is null ? ActionOutcome.Failed(attempt) : ActionOutcome.Succeeded(attempt);
    }
}
