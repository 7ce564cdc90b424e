using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Automations.Data;

public static class WriteTransaction
{
    // One gate per SQLite database file: writers in this process queue here, in order, instead of
    // spinning in SQLite's busy handler (which sleeps and retries, and made p99 latency climb).
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts a transaction that will write. On SQLite it is BEGIN IMMEDIATE: the write lock is taken
    /// up front, so concurrent writers queue instead of failing when a read snapshot cannot be upgraded;
    /// writers of this process also queue on an in-process gate first. Other providers use their default
    /// transaction (row locks do the same job).
    /// </summary>
    public static async Task<IDbContextTransaction> BeginWriteTransactionAsync(this AppDbContext db, CancellationToken ct = default)
    {
        if (db.Database.GetDbConnection() is not SqliteConnection sqlite)
        {
            return await db.Database.BeginTransactionAsync(ct);
        }

        var gate = GateFor(sqlite);
        await gate.WaitAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            DbTransaction transaction = connection.BeginTransaction(deferred: false);
            var efTransaction = await db.Database.UseTransactionAsync(transaction, ct) ?? throw new InvalidOperationException("No transaction.");
            return new GatedTransaction(efTransaction, gate);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>
    /// Runs one self-contained write statement (an <c>UPDATE … WHERE</c> that is atomic on its own) behind
    /// the same in-process gate, without BEGIN and COMMIT around it: SQLite's autocommit takes and releases
    /// the write lock for that statement alone.
    /// </summary>
    public static async Task<T> WriteStatementAsync<T>(this AppDbContext db, Func<Task<T>> statement, CancellationToken ct = default)
    {
        if (db.Database.GetDbConnection() is not SqliteConnection sqlite)
        {
            return await statement();
        }

        var gate = GateFor(sqlite);
        await gate.WaitAsync(ct);
        try
        {
            return await statement();
        }
        finally
        {
            gate.Release();
        }
    }

    private static SemaphoreSlim GateFor(SqliteConnection connection) =>
        Gates.GetOrAdd(connection.ConnectionString, _ => new SemaphoreSlim(1, 1));

    /// <summary>True when a write failed on a unique index (two writers created the same row at once).</summary>
    public static bool IsUniqueViolation(this DbUpdateException ex) =>
        ex.InnerException is SqliteException { SqliteErrorCode: 19 }
        || ex.InnerException?.GetType().Name == "PostgresException" && ex.InnerException.Message.Contains("23505");

    /// <summary>Releases the gate exactly once, when the transaction ends (commit, rollback or dispose).</summary>
    private sealed class GatedTransaction(IDbContextTransaction inner, SemaphoreSlim gate) : IDbContextTransaction
    {
        private int _released;

        public Guid TransactionId => inner.TransactionId;

        public void Commit()
        {
            inner.Commit();
            Release();
        }

        // The gate opens as soon as the write lock is gone, not when the caller's scope ends.
        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            await inner.CommitAsync(cancellationToken);
            Release();
        }

        public void Rollback()
        {
            inner.Rollback();
            Release();
        }

        public async Task RollbackAsync(CancellationToken cancellationToken = default)
        {
            await inner.RollbackAsync(cancellationToken);
            Release();
        }

        public void Dispose()
        {
            try
            {
                inner.Dispose();
            }
            finally
            {
                Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                Release();
            }
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
