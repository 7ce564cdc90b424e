namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// A PostgreSQL server for the tests. AUTOMATIONS_POSTGRES (a connection string to a server whose user may create
/// databases; .ci/run starts one) is used as given; otherwise a throw-away cluster is started once per test run with
/// Debian's initdb and pg_ctl in a temp folder on 127.0.0.1 and stopped when the run ends. Without either, PostgreSQL
/// tests skip, unless AUTOMATIONS_REQUIRE_POSTGRES=1 (set by .ci/run) makes that a failure.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<(string? ConnectionString, string? Why)>> Server = new(PostgresCluster.StartAsync);

    /// <summary>A fresh, empty database of its own: its connection string. Skips the test when no server can be had.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var (admin, why) = await Server.Value;
        if (admin is null)
        {
            if (Environment.GetEnvironmentVariable("AUTOMATIONS_REQUIRE_POSTGRES") == "1")
            {
                throw new InvalidOperationException($"AUTOMATIONS_REQUIRE_POSTGRES=1 but no PostgreSQL server: {why}");
            }

            Assert.Skip($"no PostgreSQL server ({why}); apt-get install -y postgresql, or set AUTOMATIONS_POSTGRES");
        }

        return await PostgresCluster.CreateDatabaseAsync(admin!);
    }

    /// <summary>Settings that put a host (AppFactory, TestServices, an app process) on a fresh PostgreSQL database.</summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync() => new()
    {
        ["Database:Provider"] = "Postgres",
        ["ConnectionStrings:Default"] = await CreateDatabaseAsync(),
    };

    public static int FreePort() => PostgresCluster.FreePort();
}
