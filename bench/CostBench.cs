using System.Diagnostics;
using System.Net.Http.Json;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Infrastructure.Outbound;

namespace Automations.Bench;

/// <summary>
/// Where the CPU of one event goes: process CPU time per event, measured phase by phase in one process
/// (8 clients logging as fast as they can). Baseline: the CPU of one plain POST to the same receiver.
/// </summary>
public static class CostBench
{
    public static async Task RunAsync(int events)
    {
        await using var receiver = await Receiver.StartAsync();
        var rows = new List<(string Phase, double CpuMs, double PerSecond)>();

        // Baseline: a plain HttpClient POST to the receiver (client and server in this process).
        using (var plain = new HttpClient())
        {
            var n = 0L;
            rows.Add(await CpuPerEventAsync("plain POST to the receiver (baseline)", events * 4, _ =>
                plain.PostAsJsonAsync($"http://127.0.0.1:{receiver.Port}/baseline", new { seq = -Interlocked.Increment(ref n) })));
        }

        foreach (var workers in new[] { false, true })
        {
            await using var host = new BenchHost(new()
            {
                ["Outbound:AllowedHosts:0"] = "localhost",
                ["Hangfire:Server:Enabled"] = workers ? "true" : "false",
                ["Dispatch:SweeperEnabled"] = "false",
            }, services => services.AddSingleton<IHostResolver>(new DispatchBench.LoopbackResolver()));
            await host.StartAsync();
            var clients = Enumerable.Range(0, 8).Select(_ => host.NewClient()).ToArray();
            var project = $"/api/v1/teams/{BenchHost.Team}/projects/{BenchHost.Project}";
            foreach (var collection in new[] { "plain", "automated" })
            {
                (await clients[0].PostAsJsonAsync($"{project}/collections", new { name = collection, type = "dataset" })).EnsureSuccessStatusCode();
            }

            using (var scope = host.Services.CreateScope())
            {
                var hook = await scope.ServiceProvider.GetRequiredService<WebhookService>().CreateAsync(host.Actor, BenchHost.Team,
                    new WebhookInput("receiver", $"http://localhost:{receiver.Port}/hook", null, null));
                await scope.ServiceProvider.GetRequiredService<AutomationService>().CreateAsync(host.Actor, BenchHost.Team, BenchHost.Project,
                    new AutomationInput("deliver", null, "LINK_ARTIFACT", "automated", null, ActionTypes.Webhook, hook.Id,
                        """{"seq": "${artifact_metadata.seq}", "version": "${artifact_version_string}"}"""));
            }

            var seq = 0L;
            Func<int, Task<HttpResponseMessage>> Log(string collection) => client =>
                clients[client].PostAsJsonAsync($"{project}/collections/{collection}/versions", new { metadata = new { seq = Interlocked.Increment(ref seq) } });

            // Warm-up long enough for tiered JIT and dynamic PGO to settle (their compilation is CPU too).
            await CpuPerEventAsync("warm-up", 1500, Log("automated"));
            if (!workers)
            {
                await CpuPerEventAsync("warm-up", 1500, Log("plain"));
                rows.Add(await CpuPerEventAsync("log a version, no automation", events, Log("plain")));
                rows.Add(await CpuPerEventAsync("log a version + match + create the run + enqueue (workers off)", events, Log("automated")));
            }
            else
            {
                await DispatchBench.WaitForAsync(() => receiver.Count >= 1500, TimeSpan.FromSeconds(60));
                var before = receiver.Count;
                rows.Add(await CpuPerEventAsync("log a version + deliver it (workers on, until all arrived)", events, Log("automated"),
                    () => DispatchBench.WaitForAsync(() => receiver.Count - before >= events, TimeSpan.FromSeconds(120))));
            }
        }

        Console.WriteLine($"CPU per event, {Environment.ProcessorCount} cores, {events} events per phase, 8 clients");
        Console.WriteLine();
        Console.WriteLine("| phase | CPU ms per event | events/s | CPU ÷ baseline POST |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        var baselineCpu = rows[0].CpuMs;
        foreach (var (phase, cpu, perSecond) in rows)
        {
            Console.WriteLine($"| {phase} | {cpu:0.00} | {perSecond:0} | {cpu / baselineCpu:0.0} |");
        }
    }

    private static async Task<(string, double, double)> CpuPerEventAsync(string phase, int events, Func<int, Task<HttpResponseMessage>> send, Func<Task>? drain = null)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async client =>
        {
            while (Interlocked.Increment(ref next) <= events)
            {
                using var response = await send(client);
                response.EnsureSuccessStatusCode();
            }
        }));
        if (drain is not null)
        {
            await drain();
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        return (phase, cpu / events, events / elapsed.TotalSeconds);
    }
}
