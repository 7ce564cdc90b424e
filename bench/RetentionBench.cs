using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Json;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Retention;
using Automations.Features.Webhooks;
using Automations.Infrastructure.Outbound;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Bench;

/// <summary>
/// Deliveries while the retention job removes a million old attempts. The app (Kestrel on 127.0.0.1, Hangfire workers on)
/// delivers webhooks to a loopback receiver; versions are logged through the API at a steady rate, each one a delivery,
/// and its latency is request start → arrival. Bulk SQL adds <c>--attempts</c> delivery attempts (default 1,000,000) to
/// finished runs, all 40 days old: past Retention:Attempts (30 days), within Retention:Runs (90), so exactly those go.
/// The same paced load is measured for a fixed time without cleanup (the baseline), then for as long as the job runs.
/// </summary>
public static class RetentionBench
{
    private const int AttemptsPerRun = 10;

    public static async Task RunAsync(string[] args)
    {
        var attempts = args.SkipWhile(a => a != "--attempts").Skip(1).Select(int.Parse).FirstOrDefault(1_000_000);
        var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(double.Parse).FirstOrDefault(30);
        var perSecond = args.SkipWhile(a => a != "--rate").Skip(1).Select(int.Parse).FirstOrDefault(20);
        var providers = args.Contains("--postgres-only") ? ["postgres"] : args.Contains("--sqlite-only") ? new[] { "sqlite" } : ["sqlite", "postgres"];
        foreach (var provider in providers)
        {
            var settings = new Dictionary<string, string?>();
            if (provider == "postgres")
            {
                var (admin, why) = await PostgresCluster.StartAsync();
                if (admin is null)
                {
                    Console.WriteLine($"PostgreSQL skipped: {why}");
                    continue;
                }

                settings["Database:Provider"] = "Postgres";
                settings["ConnectionStrings:Default"] = await PostgresCluster.CreateDatabaseAsync(admin);
            }

            await RunOneAsync(provider, settings, attempts, TimeSpan.FromSeconds(seconds), perSecond);
        }
    }

    private static async Task RunOneAsync(string provider, Dictionary<string, string?> settings, int attempts, TimeSpan window, int perSecond)
    {
        await using var receiver = await Receiver.StartAsync();
        settings["Outbound:AllowedHosts:0"] = "localhost";
        settings["Logging:LogLevel:Automations"] = "Warning";
        settings["Logging:LogLevel:Hangfire"] = "Warning";
        // The bench runs the job itself, when it chooses: the schedule must not fire during the run.
        settings["Retention:Schedule"] = "0 0 1 1 *";
        // BENCH_SETTINGS="Retention:BatchSize=500;Retention:PauseFactor=1": other retention settings to compare.
        foreach (var pair in (Environment.GetEnvironmentVariable("BENCH_SETTINGS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            settings[pair.Split('=')[0]] = pair.Split('=', 2)[1];
        }

        if (Environment.GetEnvironmentVariable("BENCH_SQL_LOG") == "1")
        {
            // Every statement with its time (stderr), to see what a batch spends.
            settings["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information";
        }
        await using var host = new BenchHost(settings, services => services.AddSingleton<IHostResolver>(new DispatchBench.LoopbackResolver()));
        await host.StartAsync();
        using var client = host.NewClient();
        var project = $"/api/v1/teams/{BenchHost.Team}/projects/{BenchHost.Project}";
        using (var scope = host.Services.CreateScope())
        {
            var webhook = await scope.ServiceProvider.GetRequiredService<WebhookService>()
                .CreateAsync(host.Actor, BenchHost.Team, new WebhookInput("receiver", $"http://localhost:{receiver.Port}/hook", null, null));
            (await client.PostAsJsonAsync($"{project}/collections", new { name = "paced", type = "dataset" })).EnsureSuccessStatusCode();
            await scope.ServiceProvider.GetRequiredService<AutomationService>().CreateAsync(host.Actor, BenchHost.Team, BenchHost.Project,
                new AutomationInput("paced", null, "LINK_ARTIFACT", "paced", null, ActionTypes.Webhook, webhook.Id, """{"seq": "${artifact_metadata.seq}"}"""));
        }

        var load = Stopwatch.StartNew();
        await LoadOldAttemptsAsync(host, provider, attempts);
        load.Stop();
        Console.Error.WriteLine($"{provider}: {attempts:N0} old attempts loaded in {load.Elapsed.TotalSeconds:0} s");

        var seq = 0L;
        Task<HttpResponseMessage> Log(long id) => client.PostAsJsonAsync($"{project}/collections/paced/versions", new { metadata = new { seq = id } });
        // Warm-up: JIT, pools, workers (see DispatchBench).
        for (var i = 0; i < 1500; i++)
        {
            (await Log(Interlocked.Increment(ref seq))).EnsureSuccessStatusCode();
        }

        await DispatchBench.WaitForAsync(() => receiver.Count >= 1500, TimeSpan.FromSeconds(120));

        var without = await PacedAsync(receiver, Log, () => Interlocked.Increment(ref seq), perSecond, stop: started => Stopwatch.GetElapsedTime(started) >= window);

        using var jobScope = host.Services.CreateScope();
        var cleanup = Stopwatch.StartNew();
        var job = jobScope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
        var during = await PacedAsync(receiver, Log, () => Interlocked.Increment(ref seq), perSecond, stop: _ => job.IsCompleted);
        var removed = await job;
        cleanup.Stop();
        var after = await PacedAsync(receiver, Log, () => Interlocked.Increment(ref seq), perSecond, stop: started => Stopwatch.GetElapsedTime(started) >= window);

        await using var db = await host.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var left = await db.DeliveryAttempts.CountAsync(a => a.RequestUrl == OldUrl);
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RetentionOptions>>().Value;
        var wal = provider == "sqlite" ? Directory.GetFiles(Path.GetDirectoryName(db.Database.GetDbConnection().DataSource)!, "*.db-wal").Sum(f => new FileInfo(f).Length) : 0;
        Console.WriteLine();
        Console.WriteLine($"### {(provider == "postgres" ? "PostgreSQL" : "SQLite")}: deliveries at {perSecond} events/s while {attempts:N0} old attempts are removed");
        Console.WriteLine();
        Console.WriteLine($"Retention removed {removed.GetValueOrDefault("Attempts"):N0} attempts ({left:N0} old ones left) in {cleanup.Elapsed.TotalSeconds:0.0} s " +
            $"({removed.GetValueOrDefault("Attempts") / cleanup.Elapsed.TotalSeconds:N0} rows/s; batches of {options.BatchSize}, pause ≥ {options.BatchPause.TotalMilliseconds:0} ms and ≥ {options.PauseFactor} × the batch); loading them took {load.Elapsed.TotalSeconds:0} s{(wal > 0 ? $"; the WAL file is {wal / 1e6:0} MB after it" : "")}.");
        Console.WriteLine();
        Console.WriteLine("| window | events | failed requests | missing deliveries | p50 ms | p95 ms | p99 ms | max ms | p99 ÷ without |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, figures) in new[] { ($"without cleanup ({window.TotalSeconds:0} s, the baseline)", without), ($"during cleanup ({cleanup.Elapsed.TotalSeconds:0} s)", during), ($"after cleanup ({window.TotalSeconds:0} s)", after) })
        {
            Console.WriteLine($"| {name} | {figures.Count} | {figures.Failed} | {figures.Missing} | {figures.P(50):0.0} | {figures.P(95):0.0} | {figures.P(99):0.0} | {figures.P(100):0.0} | {figures.P(99) / without.P(99):0.00} |");
        }
    }

    private const string OldUrl = "https://hooks.example.com/old";

    /// <summary>
    /// One finished run with one attempt, 40 days old, made as the engine stores them; then bulk SQL copies: runs up to
    /// attempts ÷ 10, and ten attempts for each of them.
    /// </summary>
    private static async Task LoadOldAttemptsAsync(BenchHost host, string provider, int attempts)
    {
        var factory = host.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        using (var scope = host.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<ArtifactService>().LogVersionAsync(host.Actor, BenchHost.Team, BenchHost.Project, "old", new LogVersionRequest(Type: "dataset"));
        }

        await using var db = await factory.CreateDbContextAsync();
        var old = DateTimeOffset.UtcNow - TimeSpan.FromDays(40);
        var oldEvent = await db.ArtifactEvents.OrderBy(e => e.Id).LastAsync();
        var automation = await db.Automations.OrderBy(a => a.Id).Select(a => a.Id).FirstAsync();
        var run = new AutomationRun
        {
            MessageId = "msg_old_0", AutomationId = automation, TeamId = oldEvent.TeamId, ProjectId = oldEvent.ProjectId, EventId = oldEvent.Id,
            Status = RunStatus.Succeeded, ActionType = ActionTypes.Webhook, AttemptCount = AttemptsPerRun,
            Action = new ActionSnapshot { WebhookName = "old", Template = PayloadPresets.Default.Template, Target = "webhook old" },
            CreatedAt = old, UpdatedAt = old, CompletedAt = old,
        };
        db.AutomationRuns.Add(run);
        await db.SaveChangesAsync();
        // About what a real attempt holds: a rendered payload, headers as sent and received (signature, ids), a short answer.
        db.DeliveryAttempts.Add(new DeliveryAttempt
        {
            RunId = run.Id, Number = 1, StartedAt = old, DurationMs = 12, RequestUrl = OldUrl, RequestBody = new string('x', 400),
            RequestHeadersJson = new string('h', 200), ResponseStatus = 200, ResponseHeadersJson = new string('r', 100), ResponseBody = "{\"ok\":true}",
            Outcome = AttemptOutcome.Succeeded,
        });
        await db.SaveChangesAsync();

        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var runs = attempts / AttemptsPerRun;
        var postgres = provider == "postgres";
        string Series(int count) => postgres ? $"generate_series(1, {count}) AS s(i)" : "s";
        string Cte(int count) => postgres ? "" : $"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) ";
        var text = postgres ? "CAST(s.i AS text)" : "CAST(s.i AS TEXT)";
        var runColumns = (await ColumnsAsync(connection, "AutomationRuns")).Where(c => c != "Id").ToList();
        await ExecuteAsync(connection, $"{Cte(runs - 1)}INSERT INTO \"AutomationRuns\" ({string.Join(", ", runColumns.Select(c => $"\"{c}\""))}) " +
            $"SELECT {string.Join(", ", runColumns.Select(c => c == "MessageId" ? $"('msg_old_' || {text})" : $"t.\"{c}\""))} " +
            $"FROM \"AutomationRuns\" t, {Series(runs - 1)} WHERE t.\"Id\" = {run.Id}");
        var attemptColumns = (await ColumnsAsync(connection, "DeliveryAttempts")).Where(c => c != "Id").ToList();
        // Run by run, attempts 1-10 each (the template run's first attempt is already there).
        await ExecuteAsync(connection, $"{Cte(AttemptsPerRun)}INSERT INTO \"DeliveryAttempts\" ({string.Join(", ", attemptColumns.Select(c => $"\"{c}\""))}) " +
            $"SELECT {string.Join(", ", attemptColumns.Select(c => c switch { "RunId" => "r.\"Id\"", "Number" => "s.i", _ => $"t.\"{c}\"" }))} " +
            $"FROM \"AutomationRuns\" r, {Series(AttemptsPerRun)}, \"DeliveryAttempts\" t " +
            $"WHERE t.\"RunId\" = {run.Id} AND t.\"Number\" = 1 AND r.\"MessageId\" LIKE 'msg_old_%' AND NOT (r.\"Id\" = {run.Id} AND s.i = 1) ORDER BY r.\"Id\", s.i");
        await ExecuteAsync(connection, postgres ? "VACUUM ANALYZE" : "ANALYZE");
        if (!postgres)
        {
            // The load was one transaction of a gigabyte: copy it into the database and empty the WAL, as the checkpoints
            // of thirty days of ordinary writes would have, so the measured WAL is the cleanup's own.
            await ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 0;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ColumnsAsync(DbConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE 1 = 0";
        await using var reader = await command.ExecuteReaderAsync();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    /// <summary>Delivery latencies; Missing: events whose delivery never arrived (a failed API request included).</summary>
    private sealed record Latencies(double[] Ms, int Missing, int Failed)
    {
        public int Count => Ms.Length;

        public double P(double p) => Measure.Percentile(Ms, p);
    }

    /// <summary>Logs versions at a fixed rate (not waiting for answers) until <paramref name="stop"/> says so, then waits for their deliveries.</summary>
    private static async Task<Latencies> PacedAsync(Receiver receiver, Func<long, Task<HttpResponseMessage>> send, Func<long> nextId, int perSecond, Func<long, bool> stop)
    {
        var starts = new ConcurrentDictionary<string, long>();
        var tasks = new List<Task>();
        var failed = 0;
        var begin = Stopwatch.GetTimestamp();
        for (var i = 0; !stop(begin); i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - Stopwatch.GetElapsedTime(begin);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var id = nextId();
            starts[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Stopwatch.GetTimestamp();
            // A failed request is counted, not thrown: an overloaded database is a result to report.
            tasks.Add(send(id).ContinueWith(t =>
            {
                if (t.IsFaulted || !t.Result.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failed);
                }
            }, TaskScheduler.Default));
        }

        await Task.WhenAll(tasks);
        await DispatchBench.WaitForAsync(() => starts.Keys.All(receiver.Arrivals.ContainsKey), TimeSpan.FromSeconds(60), throwOnTimeout: false);
        var ms = starts.Where(s => receiver.Arrivals.ContainsKey(s.Key))
            .Select(s => Stopwatch.GetElapsedTime(s.Value, receiver.Arrivals[s.Key]).TotalMilliseconds).ToArray();
        return new Latencies(ms, starts.Count - ms.Length, failed);
    }
}
