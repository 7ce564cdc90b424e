using Microsoft.EntityFrameworkCore;
using Automations.Infrastructure.Live;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Automations.Data;

/// <summary>Which database the app runs on: SQLite (embedded, one instance) or PostgreSQL (production, several instances).</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public static class DatabaseStartup
{
    /// <summary>A fixed key for PostgreSQL advisory locks taken around start-up work (migrations, the first key).</summary>
    private const long StartupLockKey = 0x4175746F6D617431; // "Automat1"

    /// <summary>Database:Provider, Sqlite unless set; a clear error for anything else.</summary>
    public static DatabaseProvider Provider(IConfiguration configuration)
    {
        var value = configuration["Database:Provider"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return DatabaseProvider.Sqlite;
        }

        return Enum.TryParse<DatabaseProvider>(value.Trim(), ignoreCase: true, out var provider) && Enum.IsDefined(provider)
            ? provider
            : throw new InvalidOperationException($"Database:Provider '{value}' is not known: use Sqlite (the default) or Postgres.");
    }

    public static IServiceCollection AddAppDatabase(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var connectionString = configuration.GetConnectionString("Default");
        if (Provider(configuration) == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    "Database:Provider is Postgres: set ConnectionStrings:Default, e.g. \"Host=db;Database=automations;Username=automations;Password=...\".");
            }

            services.AddPooledDbContextFactory<PostgresAppDbContext>((sp, options) => options
                .UseNpgsql(connectionString, npgsql => npgsql.CommandTimeout(30))
                .AddInterceptors(sp.GetRequiredService<ChangeCapture>(), sp.GetRequiredService<ChangeCapture>().Transactions)
                .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.RowLimitingOperationWithoutOrderByWarning)));
            // Everything asks for the app's context; on PostgreSQL it is the PostgreSQL-typed one, with its own migrations.
            services.AddSingleton<IDbContextFactory<AppDbContext>>(sp => new BaseContextFactory<PostgresAppDbContext>(sp.GetRequiredService<IDbContextFactory<PostgresAppDbContext>>()));
        }
        else
        {
            var dataDirectory = DataPaths.DataDirectory(configuration, environment);
            Directory.CreateDirectory(dataDirectory);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                connectionString = $"Data Source={Path.Combine(dataDirectory, "automations.db")}";
            }

            // Pooled: a context per operation is the rule here, so reusing their internals saves allocations on every request and delivery.
            services.AddPooledDbContextFactory<AppDbContext>((sp, options) => options
                .UseSqlite(connectionString, sqlite => sqlite.CommandTimeout(30))
                .AddInterceptors(SqliteConnectionSetup.Instance, sp.GetRequiredService<ChangeCapture>(), sp.GetRequiredService<ChangeCapture>().Transactions)
                // SQLite migrations that rebuild a table switch foreign keys off and on around it, outside the transaction;
                // EF warns about that on every fresh start, about a risk that concerns only a migration interrupted midway.
                // A migration that fills a new column with SQL (SlackAndTeamScope) before the table's rebuild draws a warning on
                // every fresh start too; the generated order was reviewed (the UPDATE runs first, the rebuild copies its result).
                // Capped counts (Paging) take the first 10,001 matching rows in whatever order the index gives: ordering them
                // would steer PostgreSQL to the primary key and a filter over every row; EF warns about a Take without OrderBy.
                .ConfigureWarnings(w => w.Ignore(
                    Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.RowLimitingOperationWithoutOrderByWarning,
                    Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.NonTransactionalMigrationOperationWarning,
                    Microsoft.EntityFrameworkCore.Diagnostics.SqliteEventId.TableRebuildPendingWarning)));
        }

        // Pages update when the rows they show change (saves are watched by ChangeCapture).
        services.AddLiveChanges(configuration);

        // Identity's stores take the context itself, per request.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());
        return services;
    }

    /// <summary>
    /// Applies pending migrations before the app serves anything. On PostgreSQL, instances starting together take
    /// turns through an advisory lock: one migrates (and makes the first Data Protection key), the others then find
    /// nothing to do.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        if (db.Database.IsSqlite())
        {
            await db.Database.MigrateAsync();
            // WAL lets the UI read while a background job writes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            return;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseStartup));
        await db.Database.OpenConnectionAsync();
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({StartupLockKey})");
            // Npgsql finds out whether the history table exists by querying it, and EF logs the failed query as an error
            // on every first start; make the table first (what MigrateAsync would do), so the first start logs no error.
            if (!await db.Database.SqlQuery<bool>($"SELECT to_regclass('\"__EFMigrationsHistory\"') IS NOT NULL AS \"Value\"").SingleAsync())
            {
                await db.Database.ExecuteSqlRawAsync(db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>().GetCreateIfNotExistsScript());
            }

            var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} migrations to PostgreSQL: {Migrations}", pending.Count, string.Join(", ", pending));
                await db.Database.MigrateAsync();
            }

            app.Services.GetService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>()?.EnsureKey(app.Services.GetRequiredService<TimeProvider>());
            // Hangfire creates or upgrades its schema when its storage is first made: under the same lock.
            app.Services.GetService<Hangfire.JobStorage>();
        }
        finally
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({StartupLockKey})");
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// A shared key ring starts with one key, made under the start-up lock: instances that started together would
    /// otherwise each make their own and, until they reload the ring, refuse each other's cookies.
    /// </summary>
    private static void EnsureKey(this Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager keys, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now.AddDays(2)))
        {
            keys.CreateNewKey(now, now.AddDays(90));
        }
    }

    /// <summary>Hands out the provider-typed context as the app's context.</summary>
    private sealed class BaseContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<AppDbContext>
        where TContext : AppDbContext
    {
        public AppDbContext CreateDbContext() => inner.CreateDbContext();

        public async Task<AppDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            await inner.CreateDbContextAsync(cancellationToken);
    }
}

/// <summary>
/// Per-connection SQLite settings. In WAL mode, synchronous=NORMAL syncs the log at checkpoints instead of
/// at every commit: the database stays consistent after a power loss (the last commits may be lost), and a
/// commit costs microseconds instead of an fsync. That is what lets dispatch write two small transactions
/// per delivery. busy_timeout lets SQLite itself wait for a lock in short, growing steps; writes that do
/// not pass the in-process gate (another process on the same file) otherwise fall back to the driver's
/// fixed 150 ms retry sleeps.
/// </summary>
internal sealed class SqliteConnectionSetup : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public static readonly SqliteConnectionSetup Instance = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) =>
        Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(System.Data.Common.DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;";
        command.ExecuteNonQuery();
    }
}

public static class DataPaths
{
    /// <summary>Where the database and the Data Protection keys live: Storage:DataDirectory, default "data" beside the app.</summary>
    public static string DataDirectory(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration["Storage:DataDirectory"];
        var path = string.IsNullOrWhiteSpace(configured) ? "data" : configured;
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(environment.ContentRootPath, path));
    }
}
