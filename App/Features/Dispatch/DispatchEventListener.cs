using System.Security.Cryptography;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Automations.Actions;

namespace Automations.Features.Dispatch;

/// <summary>In the transaction that stores events: one run per matching automation; after commit, one job per run.</summary>
public sealed class DispatchEventListener(IDispatchQueue queue, AutomationActions actions, TimeProvider clock) : IArtifactEventListener
{
    public Task PrepareAsync(AppDbContext db, int teamId, int projectId, IReadOnlyCollection<string> aliases, CancellationToken ct) =>
        AutomationMatcher.PrepareAsync(db, teamId, projectId, aliases, ct);

    public async Task<Action?> OnEventsAsync(AppDbContext db, IReadOnlyList<ArtifactEvent> events, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var runs = new List<AutomationRun>();
        foreach (var e in events)
        {
            foreach (var automation in await AutomationMatcher.MatchAsync(db, e, ct))
            {
                var run = new AutomationRun
                {
                    MessageId = NewMessageId(),
                    AutomationId = automation.Id,
                    TeamId = e.TeamId,
                    ProjectId = e.ProjectId,
                    Event = e,
                    Status = RunStatus.Pending,
                    ActionType = automation.ActionType,
                    NextAttemptAt = now,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                actions.Get(automation.ActionType).Snapshot(automation, run);
                runs.Add(run);
            }
        }

        if (runs.Count == 0)
        {
            return null;
        }

        // Saved with the events by the caller; the ids exist once the transaction has committed.
        db.AutomationRuns.AddRange(runs);
        return () => runs.ForEach(run => queue.Enqueue(run.Id));
    }

    /// <summary>Standard Webhooks message ids look like msg_&lt;random&gt;.</summary>
    internal static string NewMessageId() =>
        "msg_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'A').Replace('/', 'B');
}
