using System.Diagnostics;
using System.Net.Http.Json;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Infrastructure.Outbound;
using Automations.Tests.TestInfrastructure;

namespace Automations.Bench;

/// <summary>
/// The same end-to-end load (8 clients logging versions through the API, each version delivered to a loopback
/// receiver by the Hangfire workers) on SQLite, on PostgreSQL, and on PostgreSQL with two app instances sharing the
/// database and the job storage. Every case runs in the same process and the same run; SQLite is the baseline.
/// </summary>
public static class ScaleOutBench
{
    private const int Clients = 8;

    public static async Task RunAsync(TimeSpan duration)
    {
        var (admin, why) = await PostgresCluster.StartAsync();
        if (admin is null)
        {
            Console.Error.WriteLine($"no PostgreSQL server: {why}");
            return;
        }

        // One collection (its versions are numbered one at a time, so its writers queue) and eight (one per client, as
        // separate training jobs would log).
        var cases = new List<(string Name, Figures Figures)>();
        foreach (var collections in new[] { 1, Clients })
        {
            var label = collections == 1 ? "1 collection" : $"{collections} collections";
            cases.Add(($"SQLite, 1 instance, {label}", await RunCaseAsync(duration, null, instances: 1, collections)));
            cases.Add(($"PostgreSQL, 1 instance, {label}", await RunCaseAsync(duration, await PostgresCluster.CreateDatabaseAsync(admin), instances: 1, collections)));
            cases.Add(($"PostgreSQL, 2 instances, {label}", await RunCaseAsync(duration, await PostgresCluster.CreateDatabaseAsync(admin), instances: 2, collections)));
        }

        var baseline = cases[0].Figures;  // SQLite, one collection
        Console.WriteLine($"End to end (log a version through the API → signed POST to a loopback receiver), {Clients} clients, {Environment.ProcessorCount} cores, {duration.TotalSeconds:0} s per case");
        Console.WriteLine();
        Console.WriteLine("| case | versions/s | p50 ms | p99 ms | deliveries/s | last delivery after the last version | app CPU ms/event | database CPU ms/event | versions/s ÷ SQLite |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, figures) in cases)
        {
            Console.WriteLine($"| {name} | {figures.Versions.PerSecond:0} | {figures.Versions.Percentile(50):0.0} | {figures.Versions.Percentile(99):0.0} | " +
                              $"{figures.DeliveriesPerSecond:0} | {figures.Drain.TotalMilliseconds:0} ms | {figures.AppCpuMsPerEvent:0.0} | {figures.DatabaseCpuMsPerEvent:0.0} | " +
                              $"{figures.Versions.PerSecond / baseline.Versions.PerSecond:0.00} |");
        }
    }

    private sealed record Figures(Result Versions, double DeliveriesPerSecond, TimeSpan Drain, double AppCpuMsPerEvent, double DatabaseCpuMsPerEvent);

    /// <summary>CPU used so far by this process (the app instances) and by the PostgreSQL server processes alive now (from /proc).</summary>
    private static (TimeSpan App, TimeSpan Database) Cpu()
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                if (!stat.Contains("(postgres)", StringComparison.Ordinal) || close < 0)
                {
                    continue;
                }

                // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15, in clock ticks (100 per second).
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11]) + long.Parse(fields[12]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // Not a process, or gone in between.
            }
        }

        return (Process.GetCurrentProcess().TotalProcessorTime, TimeSpan.FromMilliseconds(ticks * 10));
    }

    private static async Task<Figures> RunCaseAsync(TimeSpan duration, string? postgres, int instances, int collections)
    {
        await using var receiver = await Receiver.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Logging:LogLevel:Automations"] = "Warning",
            ["Logging:LogLevel:Hangfire"] = "Warning",
        };
        foreach (var pair in (Environment.GetEnvironmentVariable("BENCH_SETTINGS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            settings[pair.Split('=')[0]] = pair.Split('=', 2)[1];
        }

        if (postgres is not null)
        {
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Default"] = postgres;
        }

        var hosts = new List<BenchHost>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                var host = new BenchHost(settings, services => services.AddSingleton<IHostResolver>(new DispatchBench.LoopbackResolver()));
                hosts.Add(host);
                await host.StartAsync(joining: i == 0 ? null : hosts[0]);
            }

            // Clients spread over the instances, as a load balancer would.
            var clients = Enumerable.Range(0, Clients).Select(i => hosts[i % hosts.Count].NewClient()).ToArray();
            var project = $"/api/v1/teams/{BenchHost.Team}/projects/{BenchHost.Project}";
            using (var scope = hosts[0].Services.CreateScope())
            {
                var hook = await scope.ServiceProvider.GetRequiredService<WebhookService>()
                    .CreateAsync(hosts[0].Actor, BenchHost.Team, new WebhookInput("bench", $"http://localhost:{receiver.Port}/hook", null, null));
                for (var c = 0; c < collections; c++)
                {
                    (await clients[0].PostAsJsonAsync($"{project}/collections", new { name = $"scale-{c}", type = "dataset" })).EnsureSuccessStatusCode();
                    await scope.ServiceProvider.GetRequiredService<AutomationService>().CreateAsync(hosts[0].Actor, BenchHost.Team, BenchHost.Project,
                        new AutomationInput($"bench-{c}", null, "LINK_ARTIFACT", $"scale-{c}", null, ActionTypes.Webhook, hook.Id, """{"seq": "${artifact_metadata.seq}"}"""));
                }
            }

            var seq = 0L;
            Task Log(int worker) => clients[worker].PostAsJsonAsync($"{project}/collections/scale-{worker % collections}/versions",
                new { metadata = new { seq = Interlocked.Increment(ref seq) } }).ContinueWith(t => t.Result.EnsureSuccessStatusCode());

            // Warm-up, then wait for its deliveries so the measured case starts from an empty queue.
            // BENCH_SETTINGS="Hangfire:Server:Enabled=false": the API alone (jobs are stored, nobody runs them).
            var workers = settings.GetValueOrDefault("Hangfire:Server:Enabled") != "false";
            await Measure.LoopAsync("warm-up", Clients, TimeSpan.FromSeconds(2), Log);
            await WaitForAsync(receiver, workers ? (int)Interlocked.Read(ref seq) : 0, TimeSpan.FromSeconds(60));
            var before = receiver.Count;
            var seqBefore = Interlocked.Read(ref seq);
            var cpuBefore = Cpu();
            var started = Stopwatch.StartNew();
            var versions = await Measure.LoopAsync("POST version", Clients, duration, Log);
            var logged = started.Elapsed;
            var expected = (int)Interlocked.Read(ref seq);
            await WaitForAsync(receiver, workers ? expected : 0, TimeSpan.FromSeconds(120));
            var drained = started.Elapsed;
            var cpuAfter = Cpu();
            var events = Math.Max(1, expected - seqBefore);
            return new Figures(versions, (receiver.Count - before) / drained.TotalSeconds, drained - logged,
                (cpuAfter.App - cpuBefore.App).TotalMilliseconds / events, (cpuAfter.Database - cpuBefore.Database).TotalMilliseconds / events);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    private static async Task WaitForAsync(Receiver receiver, int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (receiver.Count < count && deadline.Elapsed < timeout)
        {
            await Task.Delay(20);
        }
    }
}
