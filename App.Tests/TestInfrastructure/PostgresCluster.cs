using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// A throw-away PostgreSQL cluster (Debian's initdb and pg_ctl, a temp folder, 127.0.0.1, a free port), or the server
/// AUTOMATIONS_POSTGRES names. Shared by the tests and the benchmarks (linked into bench/).
/// </summary>
public static class PostgresCluster
{
    /// <summary>An admin connection string, or why there is none.</summary>
    public static async Task<(string? ConnectionString, string? Why)> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable("AUTOMATIONS_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            return (given, null);
        }

        var bin = FindBin();
        if (bin is null)
        {
            return (null, "initdb not found on PATH or in /usr/lib/postgresql/*/bin");
        }

        var root = Path.Combine(Path.GetTempPath(), "automations-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var data = Path.Combine(root, "data");
        var port = FreePort();
        // initdb refuses to run as root: run the server as Debian's postgres user then.
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root]);
        }

        try
        {
            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], asRoot);
            var options = $"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c max_connections=400 " +
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB";
            await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "log"), "-o", options, "-w", "-t", "60", "start"], asRoot);
        }
        catch (Exception ex)
        {
            return (null, ex.Message);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], asRoot).GetAwaiter().GetResult();
                Directory.Delete(root, recursive: true);
            }
            catch
            {
                // The temp folder is left behind; nothing else to do at exit.
            }
        };
        return ($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", null);
    }

    private static string? FindBin()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgresUser = false)
    {
        var start = asPostgresUser ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", file, .. arguments]) : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await error} {await output}");
        }
    }

    /// <summary>A fresh, empty database on the server: its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string admin)
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
