using Automations.Data;

namespace Automations.Features.Retention;

/// <summary>
/// One kind of row that is removed once it is older than its configured age (<c>Retention:&lt;Kind&gt;</c>, in days).
/// A policy knows what its rows still serve: it never removes a row something unfinished needs. The retention job
/// calls it batch after batch until it removes nothing more; a new kind (audit entries) is one class and one
/// <see cref="RetentionModule.AddRetentionPolicy{TPolicy}"/> line.
/// </summary>
public interface IRetentionPolicy
{
    /// <summary>The configuration key under <c>Retention</c>, and the label in logs and metrics: <c>Attempts</c>, <c>Events</c>, …</summary>
    string Kind { get; }

    /// <summary>Days the rows are kept when <c>Retention:&lt;Kind&gt;</c> is not set; 0 keeps them forever.</summary>
    int DefaultDays { get; }

    /// <summary>
    /// Removes up to <paramref name="batchSize"/> of the oldest rows older than <paramref name="cutoff"/> that nothing still
    /// needs, and returns how many it removed (0: nothing is left to remove, or another instance is removing). Finding
    /// them is a read; removing them is one short write transaction (<see cref="RetentionBatch.DeleteAsync{T}"/>).
    /// </summary>
    Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct);
}

public static class RetentionBatch
{
    /// <summary>Held (PostgreSQL) while one batch is deleted: two instances never delete the same rows at once.</summary>
    public const string LockName = "retention";

    /// <summary>
    /// Deletes one batch whose <paramref name="ids"/> were found outside the write lock: <paramref name="delete"/> checks
    /// again that each row may still go (a failed run may have been redelivered in between), in its own write transaction,
    /// so the lock is held for the delete alone and deliveries' writes get it back between batches. Returns 0 without
    /// deleting when another instance holds the retention lock: that one is already removing.
    /// </summary>
    public static async Task<int> DeleteAsync<T>(this AppDbContext db, IReadOnlyCollection<T> ids, Func<Task<int>> delete, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return 0;
        }

        await using var tx = await db.BeginWriteTransactionAsync(ct);
        if (!await db.TryLockAsync(LockName, ct))
        {
            return 0;
        }

        var removed = await delete();
        await tx.CommitAsync(ct);
        return removed;
    }
}
