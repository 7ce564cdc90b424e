using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Automations.Data;

public static class WriteTransaction
{
    /// <summary>
    /// Starts a transaction that will write. On SQLite it is BEGIN IMMEDIATE: the write lock is taken
    /// up front, so concurrent writers queue on the busy timeout instead of failing when a read
    /// snapshot cannot be upgraded. Other providers use their default (row locks do the same job).
    /// </summary>
    public static async Task<IDbContextTransaction> BeginWriteTransactionAsync(this AppDbContext db, CancellationToken ct = default)
    {
        if (!db.Database.IsSqlite())
        {
            return await db.Database.BeginTransactionAsync(ct);
        }

        await db.Database.OpenConnectionAsync(ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        DbTransaction transaction = connection.BeginTransaction(deferred: false);
        return await db.Database.UseTransactionAsync(transaction, ct) ?? throw new InvalidOperationException("No transaction.");
    }

    /// <summary>True when a write failed on a unique index (two writers created the same row at once).</summary>
    public static bool IsUniqueViolation(this DbUpdateException ex) =>
        ex.InnerException is SqliteException { SqliteErrorCode: 19 }
        || ex.InnerException?.GetType().Name == "PostgresException" && ex.InnerException.Message.Contains("23505");
}
