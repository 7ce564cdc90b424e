using Microsoft.EntityFrameworkCore;

namespace Automations.Data;

public static class DatabaseStartup
{
    public static IServiceCollection AddAppDatabase(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var dataDirectory = DataPaths.DataDirectory(configuration, environment);
        Directory.CreateDirectory(dataDirectory);
        var connectionString = configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = $"Data Source={Path.Combine(dataDirectory, "automations.db")}";
        }

        // Pooled: a context per operation is the rule here, so reusing their internals saves allocations on every request and delivery.
        services.AddPooledDbContextFactory<AppDbContext>(options => options
            .UseSqlite(connectionString, sqlite => sqlite.CommandTimeout(30))
            .AddInterceptors(SqliteConnectionSetup.Instance));
        // Identity's stores take the context itself, per request.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());
        return services;
    }

    /// <summary>Applies pending migrations before the app serves anything.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        if (db.Database.IsSqlite())
        {
            // WAL lets the UI read while a background job writes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }
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
