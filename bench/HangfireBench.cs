using System.Diagnostics;
using Automations.Features.Dispatch;
using Hangfire;

namespace Automations.Bench;

/// <summary>
/// What the trigger alone costs: Hangfire (in-memory storage, the app's worker settings) running jobs that
/// find nothing to do (a run id that does not exist: one indexed query, no lease, no HTTP).
/// </summary>
public static class HangfireBench
{
    public static async Task RunAsync()
    {
        await using var host = new BenchHost();
        await host.StartAsync();
        var queue = host.Services.GetRequiredService<IDispatchQueue>();
        var monitor = host.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        foreach (var jobs in new[] { 500, 2000 })
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            var succeededBefore = monitor.SucceededListCount();
            for (var i = 0; i < jobs; i++)
            {
                queue.Enqueue(-1 - i);
            }

            var enqueued = Stopwatch.GetElapsedTime(started);
            while (monitor.SucceededListCount() - succeededBefore < jobs && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(20);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            Console.WriteLine($"| {jobs} | {enqueued.TotalMilliseconds / jobs:0.00} | {jobs / elapsed.TotalSeconds:0} | {cpu.TotalMilliseconds / jobs:0.00} |");
        }
    }
}
