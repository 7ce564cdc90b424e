using System.Net.Http.Json;
using Automations.Bench;

// dotnet run -c Release --project bench -- [versions|matching|dispatch|hangfire|costs|scale-out|scale|retention] [--seconds N] [--events N]
var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(double.Parse).FirstOrDefault(5);
var duration = TimeSpan.FromSeconds(seconds);
var scenario = args.FirstOrDefault(a => !a.StartsWith("--") && !double.TryParse(a, out _)) ?? "versions";

switch (scenario)
{
    case "versions":
        await VersionsAsync(duration);
        break;
    case "matching":
        await MatchingBench.RunAsync(duration);
        break;
    case "hangfire":
        Console.WriteLine("| jobs | enqueue ms/job | jobs/s drained | CPU ms/job |");
        Console.WriteLine("| ---: | ---: | ---: | ---: |");
        await HangfireBench.RunAsync();
        break;
    case "dispatch":
        await DispatchBench.RunAsync(duration);
        break;
    case "scale-out":
        await ScaleOutBench.RunAsync(duration);
        break;
    case "scale":
        await ScaleBench.RunAsync(args);
        break;
    case "scale-one":
        return await ScaleBench.RunOneAsync(args);
    case "scale-plans":
        return await ScaleBench.PlansAsync(args);
    case "retention":
        await RetentionBench.RunAsync(args);
        break;
    case "costs":
        await CostBench.RunAsync(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(1000));
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; try: versions, matching, dispatch, hangfire, costs, scale-out, scale, retention");
        return 2;
}

return 0;

static async Task VersionsAsync(TimeSpan duration)
{
    await using var host = new BenchHost(new() { ["Hangfire:Server:Enabled"] = Environment.GetEnvironmentVariable("BENCH_HANGFIRE") ?? "false" });
    await host.StartAsync();
    var clients = Enumerable.Range(0, 8).Select(_ => host.NewClient()).ToArray();
    var project = $"/api/v1/teams/{BenchHost.Team}/projects/{BenchHost.Project}";
    (await clients[0].PostAsJsonAsync($"{project}/collections", new { name = "bench-set", type = "dataset" })).EnsureSuccessStatusCode();
    var body = new
    {
        description = "benchmark",
        metadata = new { accuracy = 0.93, loss = 0.12, epoch = 7 },
        manifest = Enumerable.Range(0, 5).Select(i => new { path = $"data/part-{i}.parquet", size = 1_000_000 + i, digest = $"sha256:{i:x64}" }),
    };

    var results = new List<(Result Baseline, Result Measured)>();
    foreach (var concurrency in new[] { 1, 8 })
    {
        // Baseline: an authenticated read of the same project through the same pipeline (auth, routing, SQLite).
        var baseline = await Measure.LoopAsync("GET project (baseline)", concurrency, duration, async worker =>
            (await clients[worker].GetAsync(project)).EnsureSuccessStatusCode());
        var measured = await Measure.LoopAsync("POST version", concurrency, duration, async worker =>
            (await clients[worker].PostAsJsonAsync($"{project}/collections/bench-set/versions", body)).EnsureSuccessStatusCode());
        results.Add((baseline, measured));
    }

    Console.WriteLine($"Logging versions through the API, SQLite, {Environment.ProcessorCount} cores, {duration.TotalSeconds:0} s per case");
    Console.WriteLine();
    Console.WriteLine("| clients | versions/s | p50 ms | p99 ms | baseline GET/s | versions/s ÷ baseline |");
    Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
    foreach (var (baseline, measured) in results)
    {
        Console.WriteLine($"| {measured.Concurrency} | {measured.PerSecond:0} | {measured.Percentile(50):0.0} | {measured.Percentile(99):0.0} | {baseline.PerSecond:0} | {measured.PerSecond / baseline.PerSecond:0.00} |");
    }
}
