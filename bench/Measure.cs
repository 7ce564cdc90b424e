using System.Diagnostics;

namespace Automations.Bench;

public sealed record Result(string Name, int Concurrency, int Operations, TimeSpan Elapsed, double[] LatenciesMs)
{
    public double PerSecond => Operations / Elapsed.TotalSeconds;

    public double Percentile(double p) => Measure.Percentile(LatenciesMs, p);
}

public static class Measure
{
    /// <summary>The nearest-rank <paramref name="p"/>th percentile of <paramref name="values"/>; NaN when there are none.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Runs <paramref name="operation"/> from <paramref name="concurrency"/> loops for a fixed time after a warm-up.</summary>
    public static async Task<Result> LoopAsync(string name, int concurrency, TimeSpan duration, Func<int, Task> operation)
    {
        // Warm-up: JIT, connection pools, SQLite page cache.
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            for (var i = 0; i < 20; i++)
            {
                await operation(worker);
            }
        }));

        var latencies = new List<double>[concurrency];
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = [];
            while (stopwatch.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await operation(worker);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        stopwatch.Stop();
        var all = latencies.SelectMany(l => l).ToArray();
        return new Result(name, concurrency, all.Length, stopwatch.Elapsed, all);
    }
}
