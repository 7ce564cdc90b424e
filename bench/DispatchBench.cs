using System.Diagnostics;
using System.Net.Http.Json;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Infrastructure.Outbound;

namespace Automations.Bench;

/// <summary>
/// End to end: versions logged through the API, automations matching them, Hangfire workers delivering
/// to a Kestrel receiver on 127.0.0.1. Baseline: a plain HttpClient POST loop to the same receiver.
/// </summary>
public static class DispatchBench
{
    public static async Task RunAsync(TimeSpan duration)
    {
        await using var receiver = await Receiver.StartAsync();
        await using var host = new BenchHost(new()
        {
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Logging:LogLevel:Automations"] = "Warning",
            ["Logging:LogLevel:Hangfire"] = "Warning",
        }, services => services.AddSingleton<IHostResolver>(new LoopbackResolver()));
        await host.StartAsync();
        var clients = Enumerable.Range(0, 16).Select(_ => host.NewClient()).ToArray();
        var project = $"/api/v1/teams/{BenchHost.Team}/projects/{BenchHost.Project}";
        var url = $"http://localhost:{receiver.Port}";

        using var scope = host.Services.CreateScope();
        var webhooks = scope.ServiceProvider.GetRequiredService<WebhookService>();
        var automations = scope.ServiceProvider.GetRequiredService<AutomationService>();
        var healthy = await webhooks.CreateAsync(host.Actor, BenchHost.Team, new WebhookInput("healthy", $"{url}/hook", null, null));
        var slow = await webhooks.CreateAsync(host.Actor, BenchHost.Team, new WebhookInput("slow", $"{url}/slow", null, null));
        const string template = """{"seq": "${artifact_metadata.seq}", "version": "${artifact_version_string}"}""";
        foreach (var collection in new[] { "throughput", "paced", "fanout", "mixed", "healthy-only" })
        {
            (await clients[0].PostAsJsonAsync($"{project}/collections", new { name = collection, type = "dataset" })).EnsureSuccessStatusCode();
        }

        async Task AutomateAsync(string name, string collection, int webhookId) =>
            await automations.CreateAsync(host.Actor, BenchHost.Team, BenchHost.Project,
                new AutomationInput(name, null, "LINK_ARTIFACT", collection, null, ActionTypes.Webhook, webhookId, template));
        await AutomateAsync("throughput", "throughput", healthy.Id);
        await AutomateAsync("paced", "paced", healthy.Id);
        await AutomateAsync("healthy-only", "healthy-only", healthy.Id);
        await AutomateAsync("mixed-healthy", "mixed", healthy.Id);
        await AutomateAsync("mixed-slow", "mixed", slow.Id);
        for (var i = 0; i < 100; i++)
        {
            await AutomateAsync($"fanout-{i}", "fanout", healthy.Id);
        }

        var seq = 0L;
        Task<HttpResponseMessage> Log(int client, string collection, out string id)
        {
            id = Interlocked.Increment(ref seq).ToString();
            return clients[client % clients.Length].PostAsJsonAsync($"{project}/collections/{collection}/versions", new { metadata = new { seq = long.Parse(id) } });
        }

        // Warm-up: pools, Hangfire workers, and enough calls for tiered JIT and dynamic PGO to settle; with
        // only 50 events the first cases paid for tier-1 compilation (CPU-bound on 2 cores) and read 30-50 % low.
        const int warmUp = 1500;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async client =>
        {
            for (var i = client; i < warmUp; i += 8)
            {
                (await Log(client, "throughput", out _)).EnsureSuccessStatusCode();
            }
        }));

        await WaitForAsync(() => receiver.Count >= warmUp, TimeSpan.FromSeconds(60));

        // 1. Baseline: a plain HttpClient POST loop, 8 concurrent, to the same receiver.
        using var plain = new HttpClient();
        var baseSeq = 1_000_000_000L;
        var baseline = await Measure.LoopAsync("plain POST", 8, duration, async _ =>
            (await plain.PostAsJsonAsync($"http://127.0.0.1:{receiver.Port}/baseline", new { seq = Interlocked.Increment(ref baseSeq) })).EnsureSuccessStatusCode());

        // 2. Sustained deliveries: 8 clients log versions as fast as they can; count deliveries until all arrived.
        var before = receiver.Count;
        var started = Stopwatch.GetTimestamp();
        var logged = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async client =>
        {
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                (await Log(client, "throughput", out _)).EnsureSuccessStatusCode();
                Interlocked.Increment(ref logged);
            }
        }));
        var loggedIn = Stopwatch.GetElapsedTime(started);
        await WaitForAsync(() => receiver.Count - before >= logged, TimeSpan.FromSeconds(120));
        var drained = Stopwatch.GetElapsedTime(started);
        var deliveriesPerSecond = logged / drained.TotalSeconds;

        // 3. Latency at a steady 200 events/s: request start → receiver arrival (commit happens in between).
        var paced = await PacedAsync(receiver, (c, id) => clients[c % clients.Length].PostAsJsonAsync($"{project}/collections/paced/versions", new { metadata = new { seq = long.Parse(id) } }),
            () => Interlocked.Increment(ref seq).ToString(), 200, duration);

        // 4. Fan-out: one event, 100 matching automations.
        var fanoutBefore = receiver.Count;
        var fanoutStarted = Stopwatch.GetTimestamp();
        (await Log(0, "fanout", out _)).EnsureSuccessStatusCode();
        await WaitForAsync(() => receiver.Count - fanoutBefore >= 100, TimeSpan.FromSeconds(60));
        var fanout = Stopwatch.GetElapsedTime(fanoutStarted);

        // 5. A slow endpoint (answers after 10 s) beside a healthy one: healthy latency with and without it.
        var healthyOnly = await PacedAsync(receiver, (c, id) => clients[c % clients.Length].PostAsJsonAsync($"{project}/collections/healthy-only/versions", new { metadata = new { seq = long.Parse(id) } }),
            () => Interlocked.Increment(ref seq).ToString(), 20, duration);
        var mixed = await PacedAsync(receiver, (c, id) => clients[c % clients.Length].PostAsJsonAsync($"{project}/collections/mixed/versions", new { metadata = new { seq = long.Parse(id) } }),
            () => Interlocked.Increment(ref seq).ToString(), 20, duration);

        Console.WriteLine($"Dispatch end to end, SQLite + in-memory Hangfire, {Environment.ProcessorCount} cores, {duration.TotalSeconds:0} s per case");
        Console.WriteLine();
        Console.WriteLine("| case | figure | baseline (plain POST loop) | ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        Console.WriteLine($"| sustained deliveries/s (8 API clients logging as fast as they can; {logged} versions logged in {loggedIn.TotalSeconds:0.0} s, all delivered after {drained.TotalSeconds:0.0} s) | {deliveriesPerSecond:0} | {baseline.PerSecond:0} req/s | {deliveriesPerSecond / baseline.PerSecond:0.00} |");
        Console.WriteLine($"| latency at a steady 200 events/s, request start → arrival: p50 / p95 / p99 ms ({paced.Count} events, {paced.Missing} missing) | {paced.P(50):0.0} / {paced.P(95):0.0} / {paced.P(99):0.0} | p50 {baseline.Percentile(50):0.0} ms per POST | |");
        Console.WriteLine($"| fan-out: one event, 100 matching automations, until all 100 arrived | {fanout.TotalMilliseconds:0} ms | | |");
        Console.WriteLine($"| healthy endpoint at 20 events/s, p50 / p99 ms, alone | {healthyOnly.P(50):0.0} / {healthyOnly.P(99):0.0} | | |");
        Console.WriteLine($"| healthy endpoint at 20 events/s, p50 / p99 ms, beside a 10 s endpoint ({mixed.Count} events each) | {mixed.P(50):0.0} / {mixed.P(99):0.0} | | {mixed.P(99) / healthyOnly.P(99):0.00} × alone |");
    }

    private sealed record Latencies(double[] Ms, int Missing)
    {
        public int Count => Ms.Length;

        public double P(double p) => Measure.Percentile(Ms, p);
    }

    /// <summary>Sends at a fixed rate (not waiting for answers), then waits for the deliveries.</summary>
    private static async Task<Latencies> PacedAsync(Receiver receiver, Func<int, string, Task<HttpResponseMessage>> send, Func<string> nextId, int perSecond, TimeSpan duration)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var starts = new (string Id, long At)[total];
        var tasks = new List<Task>(total);
        var begin = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / perSecond);
            var wait = due - Stopwatch.GetElapsedTime(begin);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var id = nextId();
            starts[i] = (id, Stopwatch.GetTimestamp());
            tasks.Add(send(i, id).ContinueWith(t => t.Result.EnsureSuccessStatusCode(), TaskScheduler.Default));
        }

        await Task.WhenAll(tasks);
        await WaitForAsync(() => starts.All(s => receiver.Arrivals.ContainsKey(s.Id)), TimeSpan.FromSeconds(60), throwOnTimeout: false);
        var ms = starts.Where(s => receiver.Arrivals.ContainsKey(s.Id))
            .Select(s => Stopwatch.GetElapsedTime(s.At, receiver.Arrivals[s.Id]).TotalMilliseconds).ToArray();
        return new Latencies(ms, total - ms.Length);
    }

    internal static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, bool throwOnTimeout = true)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                if (throwOnTimeout)
                {
                    throw new TimeoutException("deliveries did not arrive in time");
                }

                return;
            }

            await Task.Delay(10);
        }
    }

    /// <summary>"localhost" is 127.0.0.1 here, where the receiver listens (the host's resolver may answer ::1 first).</summary>
    internal sealed class LoopbackResolver : IHostResolver
    {
        public Task<System.Net.IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Task.FromResult(new[] { System.Net.IPAddress.Loopback });
    }
}
