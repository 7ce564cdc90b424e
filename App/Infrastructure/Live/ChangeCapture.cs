using System.Data.Common;
using System.Runtime.CompilerServices;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Automations.Infrastructure.Live;

/// <summary>
/// Publishes the rows pages show (runs, launch runs, agents, webhooks, automations) when a save that touched them is
/// committed: at once for a save outside a transaction, at the commit for one inside, never for a rolled-back one (a page
/// told too early would read the old row and then hear nothing more). Writes that bypass the change tracker (bulk
/// <c>ExecuteUpdate</c>) publish their change themselves.
/// </summary>
public sealed class ChangeCapture(ChangeFeed feed) : SaveChangesInterceptor
{
    /// <summary>Per context: the entries being saved (their ids are known only after the save), then the changes awaiting a commit.</summary>
    private readonly ConditionalWeakTable<DbContext, Pending> _pending = new();

    /// <summary>The transaction half: EF has a separate interceptor type for commits and rollbacks.</summary>
    /// <remarks>One instance, however often asked: it shares this capture's pending changes.</remarks>
    public IInterceptor Transactions => _transactions ??= new TransactionHook(this);

    private TransactionHook? _transactions;

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (eventData.Context is { } context && _pending.TryGetValue(context, out var pending))
        {
            pending.Saving.Clear();
        }
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var pending = _pending.GetOrCreateValue(context);
        pending.Saving.Clear();
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && IsShown(entry.Entity))
            {
                pending.Saving.Add(entry.Entity);
            }
        }
    }

    private void Saved(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var pending) || pending.Saving.Count == 0)
        {
            return;
        }

        var changes = pending.Saving.Select(Of).OfType<Change>().Distinct().ToList();
        pending.Saving.Clear();
        if (context.Database.CurrentTransaction is null)
        {
            feed.Publish(changes);
        }
        else
        {
            pending.Committing.AddRange(changes);
        }
    }

    private void Ended(DbContext? context, bool committed)
    {
        if (context is null || !_pending.TryGetValue(context, out var pending) || pending.Committing.Count == 0)
        {
            return;
        }

        var changes = pending.Committing.Distinct().ToList();
        pending.Committing.Clear();
        if (committed)
        {
            feed.Publish(changes);
        }
    }

    private static bool IsShown(object entity) => entity is AutomationRun or LaunchRun or LaunchAgent or Webhook or Automation;

    private static Change? Of(object entity) => entity switch
    {
        AutomationRun r => new Change(ChangeKind.Run, r.TeamId, r.Id, r.ProjectId, r.AutomationId, r.WebhookId),
        LaunchRun r => new Change(ChangeKind.LaunchRun, r.TeamId, r.Id, r.ProjectId, r.AutomationId, QueueId: r.QueueId),
        LaunchAgent a => new Change(ChangeKind.Agent, a.TeamId, a.Id, QueueId: a.QueueId),
        Webhook w => new Change(ChangeKind.Webhook, w.TeamId, w.Id, WebhookId: w.Id),
        Automation a => new Change(ChangeKind.Automation, a.TeamId, a.Id, a.ProjectId, a.Id),
        _ => null,
    };

    private sealed class Pending
    {
        public List<object> Saving { get; } = [];

        public List<Change> Committing { get; } = [];
    }

    private sealed class TransactionHook(ChangeCapture owner) : DbTransactionInterceptor
    {
        public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => owner.Ended(eventData.Context, committed: true);

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            owner.Ended(eventData.Context, committed: true);
            return Task.CompletedTask;
        }

        public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => owner.Ended(eventData.Context, committed: false);

        public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            owner.Ended(eventData.Context, committed: false);
            return Task.CompletedTask;
        }
    }
}
