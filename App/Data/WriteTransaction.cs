using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Automations.Data;

public static class WriteTransaction
{
    // One gate per SQLite database file: writers in this process queue here, in order, instead of
    // spinning in SQLite's busy handler (which sleeps and retries, and made p99 latency climb).
    private static readonly ConcurrentDictionary<string, Gate> Gates = new(StringComparer.Ordinal);

    /// <summary>How long a writer waits for the gate before it logs a warning naming who holds it (and again each time as long).</summary>
    private static readonly TimeSpan SlowWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts a transaction that will write. On SQLite it is BEGIN IMMEDIATE: the write lock is taken
    /// up front, so concurrent writers queue instead of failing when a read snapshot cannot be upgraded;
    /// writers of this process also queue on an in-process gate first. Other providers use their default
    /// transaction (row locks do the same job).
    /// </summary>
    public static async Task<IDbContextTransaction> BeginWriteTransactionAsync(this AppDbContext db, CancellationToken ct = default,
        [CallerMemberName] string caller = "", [CallerFilePath] string file = "")
    {
        if (db.Database.GetDbConnection() is not SqliteConnection sqlite)
        {
            return await db.Database.BeginTransactionAsync(ct);
        }

        var gate = GateFor(sqlite);
        await gate.EnterAsync(db, Who(caller, file), ct);
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
    public static async Task<T> WriteStatementAsync<T>(this AppDbContext db, Func<Task<T>> statement, CancellationToken ct = default,
        [CallerMemberName] string caller = "", [CallerFilePath] string file = "")
    {
        if (db.Database.GetDbConnection() is not SqliteConnection sqlite)
        {
            return await statement();
        }

        var gate = GateFor(sqlite);
        await gate.EnterAsync(db, Who(caller, file), ct);
        try
        {
            return await statement();
        }
        finally
        {
            gate.Release();
        }
    }

    private static Gate GateFor(SqliteConnection connection) =>
        Gates.GetOrAdd(connection.ConnectionString, _ => new Gate());

    private static string Who(string caller, string file) => $"{Path.GetFileNameWithoutExtension(file)}.{caller}";

    /// <summary>
    /// The in-process writers' queue for one database, which remembers who holds it: a writer that waits long logs a
    /// warning naming the holder and for how long it has held it, so a write held across something slow is found.
    /// </summary>
    private sealed class Gate
    {
        private readonly SemaphoreSlim _semaphore = new(1, 1);
        private string _holder = "";
        private long _heldSince;

        public async Task EnterAsync(AppDbContext db, string who, CancellationToken ct)
        {
            var started = Stopwatch.GetTimestamp();
            while (!await _semaphore.WaitAsync(SlowWait, ct))
            {
                var logger = ((IInfrastructure<IServiceProvider>)db).Instance.GetService<ILoggerFactory>()?.CreateLogger(typeof(WriteTransaction));
                logger?.LogWarning("{Who} has waited {Waited:0.0} s for the database's write gate, held by {Holder} for {Held:0.0} s",
                    who, Stopwatch.GetElapsedTime(started).TotalSeconds, Volatile.Read(ref _holder),
                    Stopwatch.GetElapsedTime(Volatile.Read(ref _heldSince)).TotalSeconds);
            }

            Volatile.Write(ref _holder, who);
            Volatile.Write(ref _heldSince, Stopwatch.GetTimestamp());
        }

        public void Release() => _semaphore.Release();
    }

    /// <summary>
    /// Serialises the writers of one thing (a collection's versions and aliases, a launch run's reports) across every
    /// instance, until the current write transaction ends. On PostgreSQL: a transaction-scoped advisory lock on the
    /// name's 64-bit hash, so concurrent read-modify-write blocks on the same thing take turns and read what the
    /// previous one committed. On SQLite: nothing, the write transaction already holds the database's only write lock.
    /// </summary>
    public static async Task LockAsync(this AppDbContext db, string name, CancellationToken ct = default)
    {
        if (NeedsAdvisoryLock(db))
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({name}, 0))", ct);
        }
    }

    /// <summary>
    /// Takes the named advisory lock only if no one holds it (PostgreSQL, until the transaction ends): true when taken.
    /// For work one instance at a time does (sweeps); on SQLite always true.
    /// </summary>
    public static async Task<bool> TryLockAsync(this AppDbContext db, string name, CancellationToken ct = default) =>
        !NeedsAdvisoryLock(db)
        || await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock(hashtextextended({name}, 0)) AS \"Value\"").SingleAsync(ct);

    /// <summary>
    /// False on SQLite (the write transaction is the lock). Elsewhere the lock lasts until the transaction ends, so there
    /// must be one: a lock taken outside it would be released at once.
    /// </summary>
    private static bool NeedsAdvisoryLock(AppDbContext db)
    {
        if (db.Database.GetDbConnection() is SqliteConnection)
        {
            return false;
        }

        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("An advisory lock is held until the transaction ends: begin the write transaction first.");
        }

        return true;
    }

    /// <summary>True when a write failed on a unique index (two writers created the same row at once), by error code, not message.</summary>
    public static bool IsUniqueViolation(this DbUpdateException ex) =>
        ex.InnerException is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 }
        || ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation };

    /// <summary>Releases the gate exactly once, when the transaction ends (commit, rollback or dispose).</summary>
    private sealed class GatedTransaction(IDbContextTransaction inner, Gate gate) : IDbContextTransaction
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
