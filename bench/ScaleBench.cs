using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Automations.Bench;

/// <summary>
/// Every list API and page with a small project (~1,000 events, runs, versions, automations) and a big one
/// (1,000,000 events, 1,000,000 runs with one attempt each, 100,000 versions in one collection, 10,000 automations),
/// the same build of the app in the same run. Each size runs in a child process of its own, so its memory is its own;
/// the parent prints the table with big ÷ small. The volume is bulk SQL copying one real row made through the
/// services; a sample is logged through the API.
/// </summary>
public static class ScaleBench
{
    public sealed record Size(int Automations, int Versions, int Events, int Runs);

    public static readonly Size Small = new(1_000, 1_000, 1_000, 1_000);
    public static readonly Size Big = new(10_000, 100_000, 1_000_000, 1_000_000);

    public sealed record Figure(string Operation, double P50, double P95);

    /// <summary>One round: each operation's figures on the small and the big project, and the app's RSS after each project's pages.</summary>
    public sealed record Report(string Provider, List<Figure> Small, List<Figure> Big, long RssSmall, long RssBig, double BuildSeconds);

    private const string Collection = "big-set";
    private const string Password = "Bench-password-1!";

    /// <summary>The parent: for each provider and round, a child per size; then the table.</summary>
    public static async Task RunAsync(string[] args)
    {
        var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(3);
        var providers = args.Contains("--postgres-only") ? ["postgres"] : args.Contains("--sqlite-only") ? new[] { "sqlite" } : ["sqlite", "postgres"];
        string? admin = null;
        if (providers.Contains("postgres"))
        {
            (admin, var why) = await PostgresCluster.StartAsync();
            if (admin is null)
            {
                Console.WriteLine($"PostgreSQL skipped: {why}");
                providers = providers.Where(p => p != "postgres").ToArray();
            }
        }

        foreach (var provider in providers)
        {
            var reports = new List<Report>();
            for (var round = 1; round <= rounds; round++)
            {
                reports.Add(await ChildAsync(provider, admin));
                Console.Error.WriteLine($"{provider} round {round}: done");
            }

            Print(provider, reports);
        }
    }

    private static async Task<Report> ChildAsync(string provider, string? admin)
    {
        var connection = provider == "postgres" ? await PostgresCluster.CreateDatabaseAsync(admin!) : "";
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        // Fully optimised code from the start: with tiered compilation the small size (measured sooner after start-up)
        // would run on less optimised code than the big one (which spends half a minute building its data first).
        info.Environment["DOTNET_TieredCompilation"] = "0";
        if (self.EndsWith("dotnet", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(typeof(ScaleBench).Assembly.Location);
        }

        foreach (var a in new[] { "scale-one", provider, connection })
        {
            info.ArgumentList.Add(a);
        }

        using var child = Process.Start(info)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("{", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"scale-one {provider} exited {child.ExitCode}:\n{output}");
        return JsonSerializer.Deserialize<Report>(line)!;
    }

    private static void Print(string provider, List<Report> reports)
    {
        Console.WriteLine();
        Console.WriteLine($"### {(provider == "postgres" ? "PostgreSQL" : "SQLite")}, {reports.Count} rounds (p95 ms; each round's ratio big ÷ small, then the median ratio)");
        Console.WriteLine();
        Console.WriteLine("| operation | small p95 | big p95 | big ÷ small per round | median ratio |");
        Console.WriteLine("| --- | ---: | ---: | --- | ---: |");
        foreach (var operation in reports[0].Small.Select(f => f.Operation))
        {
            double SmallOf(Report r) => r.Small.Single(f => f.Operation == operation).P95;
            double BigOf(Report r) => r.Big.Single(f => f.Operation == operation).P95;
            var ratios = reports.Select(r => BigOf(r) / SmallOf(r)).ToList();
            Console.WriteLine($"| {operation} | {Median(reports.Select(SmallOf)):0.0} | {Median(reports.Select(BigOf)):0.0} | {string.Join(" / ", ratios.Select(x => x.ToString("0.00")))} | {Median(ratios):0.00} |");
        }

        var rss = reports.Select(r => (double)r.RssBig / r.RssSmall).ToList();
        Console.WriteLine($"| app RSS: after the small project's pages, then after the big one's too (MB) | {Median(reports.Select(r => r.RssSmall / 1e6)):0} | {Median(reports.Select(r => r.RssBig / 1e6)):0} | {string.Join(" / ", rss.Select(x => x.ToString("0.00")))} | {Median(rss):0.00} |");
        Console.WriteLine();
        Console.WriteLine($"Building both projects took {Median(reports.Select(r => r.BuildSeconds)):0} s (median).");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// The child: one round on one provider. Both projects live in one database (the big one beside the small, as in a
    /// real install), and every operation is timed alternately on each, so the machine's noise falls on both alike.
    /// Memory: the app's RSS after visiting every page of the small project, then after also visiting the big one's.
    /// </summary>
    public static async Task<int> RunOneAsync(string[] args)
    {
        var provider = args[1];
        var settings = new Dictionary<string, string?>
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["Automations:MaxPerProject"] = "20000",
            ["RateLimits:SignIn:PermitLimit"] = "1000",
        };
        if (provider == "postgres")
        {
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Default"] = args[2];
        }

        if (Environment.GetEnvironmentVariable("BENCH_SQL_LOG") == "1")
        {
            // Every statement with its time, to see what a slow case spends (stderr).
            settings["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information";
        }

        await using var host = new BenchHost(settings);
        await host.StartAsync();
        var build = Stopwatch.StartNew();
        var smallAutomation = await BuildAsync(host, Small, provider, "small-project");
        var bigAutomation = await BuildAsync(host, Big, provider, "big-project");
        build.Stop();

        using var client = host.NewClient();
        string P(string project) => $"/api/v1/teams/{BenchHost.Team}/projects/{project}";
        var next = new Dictionary<string, string?>();
        foreach (var project in new[] { "small-project", "big-project" })
        {
            next[project] = JsonDocument.Parse(await client.GetStringAsync($"{P(project)}/runs")).RootElement.GetProperty("next").GetString();
        }

        int AutomationOf(string project) => project == "big-project" ? bigAutomation : smallAutomation;
        var calls = new (string Name, Func<string, Task<HttpResponseMessage>> Call)[]
        {
            ("GET …/automations (first page)", p => client.GetAsync($"{P(p)}/automations?pageSize=50")),
            ("GET …/automations (default: up to 1,000)", p => client.GetAsync($"{P(p)}/automations")),
            ("GET …/runs?automationId=", p => client.GetAsync($"{P(p)}/runs?automationId={AutomationOf(p)}")),
            ("GET …/runs?status=Failed", p => client.GetAsync($"{P(p)}/runs?status=Failed")),
            ("GET …/runs (first page)", p => client.GetAsync($"{P(p)}/runs")),
            ("GET …/runs (second page, by cursor)", p => client.GetAsync($"{P(p)}/runs?after={next[p]}")),
            ("GET …/events (first page)", p => client.GetAsync($"{P(p)}/events")),
            ($"GET …/collections/{Collection}/versions (first page)", p => client.GetAsync($"{P(p)}/collections/{Collection}/versions")),
            ("GET …/collections", p => client.GetAsync($"{P(p)}/collections")),
        };
        var small = new List<Figure>();
        var big = new List<Figure>();
        foreach (var (name, call) in calls)
        {
            var (s1, b1) = await TimeBothAsync(name, call);
            small.Add(s1);
            big.Add(b1);
        }

        var logged = 0;
        var (sv, bv) = await TimeBothAsync("POST a version (automations in the same project)", p =>
            client.PostAsJsonAsync($"{P(p)}/collections/ingest/versions", new { type = "dataset", description = $"v{logged++}" }), samples: 80);
        // One alias moved from version to version: every call adds it somewhere new, so every call makes an event.
        var moves = 0;
        var (sa, ba) = await TimeBothAsync("POST an alias", p =>
            client.PostAsJsonAsync($"{P(p)}/collections/ingest/versions/v{moves++ / 2 % 50}/aliases", new { alias = "moving" }), samples: 80);
        small.AddRange([sv, sa]);
        big.AddRange([bv, ba]);

        var (smallPages, bigPages, rssSmall, rssBig) = await PagesAsync(host, smallAutomation, bigAutomation);
        small.AddRange(smallPages);
        big.AddRange(bigPages);
        Console.WriteLine(JsonSerializer.Serialize(new Report(provider, small, big, rssSmall, rssBig, build.Elapsed.TotalSeconds)));
        return 0;
    }

    /// <summary>Times <paramref name="call"/> on the small and the big project alternately, after a warm-up of each.</summary>
    private static async Task<(Figure Small, Figure Big)> TimeBothAsync(string name, Func<string, Task<HttpResponseMessage>> call, int samples = 60)
    {
        var times = new Dictionary<string, List<double>> { ["small-project"] = [], ["big-project"] = [] };
        for (var i = -5; i < samples; i++)
        {
            foreach (var project in i % 2 == 0 ? new[] { "small-project", "big-project" } : ["big-project", "small-project"])
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await call(project);
                await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{name} ({project}): {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                if (i >= 0)
                {
                    times[project].Add(elapsed);
                }
            }
        }

        return (Percentiles(name, times["small-project"]), Percentiles(name, times["big-project"]));
    }

    private static Figure Percentiles(string name, List<double> times)
    {
        return new Figure(name, Measure.Percentile(times, 50), Measure.Percentile(times, 95));
    }

    /// <summary>
    /// Each page from navigation until its data is visible, through Chromium, signed in as the bench user: every page of
    /// the small project (then the app's RSS), then of the big one (then the RSS again), then both alternately for the times.
    /// </summary>
    private static async Task<(List<Figure> Small, List<Figure> Big, long RssSmall, long RssBig)> PagesAsync(BenchHost host, int smallAutomation, int bigAutomation)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = host.BaseUrl });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#Input\\.Email", "bench@example.com");
        await page.FillAsync("#Input\\.Password", Password);
        await page.ClickAsync("button[type=submit]:has-text('Log in')");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));

        (string Name, string Url, string Ready)[] Pages(string project, int automationId)
        {
            var p = $"/teams/{BenchHost.Team}/projects/{project}";
            return
            [
                ("page: Automations tab", $"{p}/automations", "[data-testid=automations-table] tbody tr td a"),
                ("page: automation (its runs)", $"{p}/automations/{automationId}", "[data-testid=runs-table] tbody tr td"),
                ("page: History", $"{p}/history", "[data-testid=runs-table] tbody tr td"),
                ("page: Activity", $"{p}/activity", "[data-testid=events-table] tbody tr td"),
                ("page: Artifacts", $"{p}/artifacts", "[data-testid=collections-table] tbody tr td"),
                ("page: collection (versions)", $"{p}/artifacts/{Collection}", "[data-testid=versions-table] tbody tr td"),
            ];
        }

        async Task<double> VisitAsync(string url, string ready)
        {
            var started = Stopwatch.GetTimestamp();
            await page.GotoAsync(url);
            await page.Locator(ready).First.WaitForAsync();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        long Rss()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return Process.GetCurrentProcess().WorkingSet64;
        }

        var smallPages = Pages("small-project", smallAutomation);
        var bigPages = Pages("big-project", bigAutomation);
        foreach (var (_, url, ready) in smallPages)
        {
            await VisitAsync(url, ready);
            await VisitAsync(url, ready);
        }

        var rssSmall = Rss();
        foreach (var (_, url, ready) in bigPages)
        {
            await VisitAsync(url, ready);
            await VisitAsync(url, ready);
        }

        var rssBig = Rss();
        var small = new List<Figure>();
        var big = new List<Figure>();
        for (var i = 0; i < smallPages.Length; i++)
        {
            var (times, timesBig) = (new List<double>(), new List<double>());
            for (var n = 0; n < 8; n++)
            {
                times.Add(await VisitAsync(smallPages[i].Url, smallPages[i].Ready));
                timesBig.Add(await VisitAsync(bigPages[i].Url, bigPages[i].Ready));
            }

            small.Add(Percentiles(smallPages[i].Name, times));
            big.Add(Percentiles(bigPages[i].Name, timesBig));
        }

        return (small, big, rssSmall, rssBig);
    }

    /// <summary>
    /// One of each row through the services (a webhook, automations, versions, events, a delivered run with its
    /// attempt), then copies of them by bulk SQL up to the size. Returns the automation whose runs the pages show.
    /// </summary>
    private static async Task<int> BuildAsync(BenchHost host, Size size, string provider, string projectName)
    {
        using var scope = host.Services.CreateScope();
        var services = scope.ServiceProvider;
        var artifacts = services.GetRequiredService<ArtifactService>();
        var factory = services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        // Saved directly: the service would resolve the host, and this machine has no DNS.
        Webhook webhook;
        await using (var setup = await factory.CreateDbContextAsync())
        {
            var teamId = await setup.Teams.Where(t => t.Slug == BenchHost.Team).Select(t => t.Id).SingleAsync();
            webhook = new Webhook { TeamId = teamId, Name = $"bench-{projectName}", Url = "https://hooks.example.com/bench", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
            setup.Webhooks.Add(webhook);
            await setup.SaveChangesAsync();
        }

        if (projectName != BenchHost.Project)
        {
            await artifacts.CreateProjectAsync(host.Actor, BenchHost.Team, projectName, null);
        }

        await artifacts.LogVersionAsync(host.Actor, BenchHost.Team, projectName, Collection, new LogVersionRequest(Type: "dataset"));
        await artifacts.LogVersionAsync(host.Actor, BenchHost.Team, projectName, "ingest", new LogVersionRequest(Type: "dataset"));
        // The template automation watches another collection: matching reads every automation of the event type, few match.
        await artifacts.LogVersionAsync(host.Actor, BenchHost.Team, projectName, "elsewhere", new LogVersionRequest(Type: "dataset"));
        var automation = await services.GetRequiredService<AutomationService>().CreateAsync(host.Actor, BenchHost.Team, projectName, new AutomationInput(
            "automation-0", null, ArtifactEventTypes.LinkArtifact, "elsewhere", null, ActionTypes.Webhook, webhook.Id, PayloadPresets.Default.Template));

        await using var db = await factory.CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var project = await db.Projects.SingleAsync(p => p.Name == projectName);
        var collectionId = await db.ArtifactCollections.Where(c => c.ProjectId == project.Id && c.Name == Collection).Select(c => c.Id).SingleAsync();
        var version = await db.ArtifactVersions.Where(v => v.CollectionId == collectionId).OrderBy(v => v.Index).SingleAsync();
        var eventId = await db.ArtifactEvents.Where(e => e.VersionId == version.Id).Select(e => e.Id).FirstAsync();

        // A run with one attempt, made the way the engine makes them (the delivery fails: nothing listens there).
        var run = new Features.Dispatch.AutomationRun
        {
            MessageId = $"msg_template_{projectName}", AutomationId = automation.Summary.Id, TeamId = project.TeamId, ProjectId = project.Id, EventId = eventId,
            Status = Features.Dispatch.RunStatus.Succeeded, ActionType = ActionTypes.Webhook, AttemptCount = 1,
            Action = new Features.Dispatch.ActionSnapshot { WebhookName = "bench", Template = PayloadPresets.Default.Template, Target = "webhook bench" },
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow,
        };
        db.AutomationRuns.Add(run);
        await db.SaveChangesAsync();
        db.DeliveryAttempts.Add(new Features.Dispatch.DeliveryAttempt
        {
            RunId = run.Id, Number = 1, StartedAt = DateTimeOffset.UtcNow, DurationMs = 12, RequestUrl = "https://hooks.example.com/bench",
            RequestBody = new string('x', 600), RequestHeadersJson = "[]", ResponseStatus = 200, ResponseHeadersJson = "[]", ResponseBody = new string('y', 600),
        });
        await db.SaveChangesAsync();

        var series = provider == "postgres" ? "generate_series(1, {0}) AS s(i)" : "s";
        async Task CopyAsync(string table, long templateId, int count, Dictionary<string, string> overrides)
        {
            var columns = await ColumnsAsync(connection, table);
            var targets = columns.Where(c => c != "Id").ToList();
            var values = targets.Select(c => overrides.TryGetValue(c, out var v) ? v : $"t.\"{c}\"");
            var from = $"FROM \"{table}\" t, {string.Format(System.Globalization.CultureInfo.InvariantCulture, series, count)} WHERE t.\"Id\" = {templateId}";
            var cte = provider == "postgres" ? "" : $"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) ";
            await using var command = connection.CreateCommand();
            command.CommandTimeout = 0;
            command.CommandText = $"{cte}INSERT INTO \"{table}\" ({string.Join(", ", targets.Select(c => $"\"{c}\""))}) SELECT {string.Join(", ", values)} {from}";
            await command.ExecuteNonQueryAsync();
        }

        var concat = (string a, string b) => $"({a} || {b})";
        var text = (string e) => provider == "postgres" ? $"CAST({e} AS text)" : $"CAST({e} AS TEXT)";
        await CopyAsync("ArtifactVersions", version.Id, size.Versions - 1, new()
        {
            ["Index"] = "t.\"Index\" + s.i",
            ["PublicId"] = concat($"'bulk-{projectName}-'", text("s.i")),
        });
        await CopyAsync("ArtifactEvents", eventId, size.Events - 1, []);
        // Half the copies watch new versions of another collection, half an alias pattern that never matches.
        await CopyAsync("Automations", automation.Summary.Id, size.Automations - 1, new()
        {
            ["Name"] = concat("'automation-'", text("s.i")),
            ["EventType"] = $"CASE WHEN s.i % 2 = 0 THEN 'LINK_ARTIFACT' ELSE 'ADD_ARTIFACT_ALIAS' END",
            ["AliasPattern"] = "CASE WHEN s.i % 2 = 0 THEN NULL ELSE 'never-.*' END",
            ["CollectionId"] = "CASE WHEN s.i % 2 = 0 THEN t.\"CollectionId\" ELSE NULL END",
        });
        var firstAutomation = automation.Summary.Id;
        await CopyAsync("AutomationRuns", run.Id, size.Runs - 1, new()
        {
            ["MessageId"] = concat($"'msg_{projectName}_'", text("s.i")),
            ["AutomationId"] = $"{firstAutomation} + (s.i % {size.Automations})",
            ["Status"] = "CASE WHEN s.i % 10 = 0 THEN 'Failed' ELSE 'Succeeded' END",
        });
        await using (var command = connection.CreateCommand())
        {
            var columns = (await ColumnsAsync(connection, "DeliveryAttempts")).Where(c => c != "Id").ToList();
            command.CommandTimeout = 0;
            command.CommandText = $"INSERT INTO \"DeliveryAttempts\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) " +
                $"SELECT {string.Join(", ", columns.Select(c => c == "RunId" ? "r.\"Id\"" : $"t.\"{c}\""))} FROM \"DeliveryAttempts\" t, \"AutomationRuns\" r " +
                $"WHERE t.\"RunId\" = {run.Id} AND r.\"ProjectId\" = {project.Id} AND r.\"Id\" <> {run.Id}";
            await command.ExecuteNonQueryAsync();
        }

        await using (var analyze = connection.CreateCommand())
        {
            analyze.CommandTimeout = 0;
            // PostgreSQL: VACUUM as autovacuum would after a million inserts, so the visibility map lets capped counts
            // answer from the index alone, as on a settled database.
            analyze.CommandText = provider == "postgres" ? "VACUUM ANALYZE" : "ANALYZE";
            await analyze.ExecuteNonQueryAsync();
        }

        return firstAutomation;
    }

    private static async Task<List<string>> ColumnsAsync(DbConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE 1 = 0";
        await using var reader = await command.ExecuteReaderAsync();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    /// <summary>
    /// <c>scale-plans [sqlite|postgres]</c>: builds the big dataset and prints the plan of each list's query (SQLite's
    /// <c>EXPLAIN QUERY PLAN</c>, PostgreSQL's <c>EXPLAIN</c>), to put beside the figures.
    /// </summary>
    public static async Task<int> PlansAsync(string[] args)
    {
        var provider = args.Length > 1 ? args[1] : "sqlite";
        var settings = new Dictionary<string, string?> { ["Hangfire:Server:Enabled"] = "false", ["Automations:MaxPerProject"] = "20000" };
        if (provider == "postgres")
        {
            var (admin, why) = await PostgresCluster.StartAsync();
            if (admin is null)
            {
                Console.WriteLine($"PostgreSQL skipped: {why}");
                return 0;
            }

            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Default"] = await PostgresCluster.CreateDatabaseAsync(admin);
        }

        await using var host = new BenchHost(settings);
        await host.StartAsync();
        var automationId = await BuildAsync(host, Big, provider, BenchHost.Project);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var project = await db.Projects.SingleAsync(p => p.Name == BenchHost.Project);
        var collectionId = await db.ArtifactCollections.Where(c => c.ProjectId == project.Id && c.Name == Collection).Select(c => c.Id).SingleAsync();
        var failed = Features.Dispatch.RunStatus.Failed;
        var queries = new (string Name, string Sql)[]
        {
            ("events, first page", db.ArtifactEvents.Where(e => e.ProjectId == project.Id).OrderByDescending(e => e.Id).Take(51).ToQueryString()),
            ("events, a page by cursor", db.ArtifactEvents.Where(e => e.ProjectId == project.Id && e.Id < 500_000).OrderByDescending(e => e.Id).Take(51).ToQueryString()),
            ("runs, first page", db.AutomationRuns.Where(r => r.ProjectId == project.Id).OrderByDescending(r => r.Id).Take(26).ToQueryString()),
            ("runs of one status", db.AutomationRuns.Where(r => r.ProjectId == project.Id && r.Status == failed).OrderByDescending(r => r.Id).Take(26).ToQueryString()),
            ("runs of one automation", db.AutomationRuns.Where(r => r.ProjectId == project.Id && r.AutomationId == automationId).OrderByDescending(r => r.Id).Take(26).ToQueryString()),
            ("versions, first page", db.ArtifactVersions.Where(v => v.CollectionId == collectionId).OrderByDescending(v => v.Index).Take(26).ToQueryString()),
            ("an automation's last run", db.Automations.Where(a => a.Id == automationId)
                .Select(a => db.AutomationRuns.Where(r => r.AutomationId == a.Id).OrderByDescending(r => r.Id).Select(r => (long?)r.Id).FirstOrDefault()).ToQueryString()),
            ("automations, a page by name", db.Automations.Where(a => a.ProjectId == project.Id && a.DeletedAt == null).OrderBy(a => a.Name).Skip(50).Take(51).ToQueryString()),
            ("matching a new version", db.Automations.Where(a => a.ProjectId == project.Id && a.EventType == ArtifactEventTypes.LinkArtifact && a.DeletedAt == null && a.Enabled && a.CollectionId == collectionId).ToQueryString()),
            ("matching an alias: distinct patterns", db.Automations.Where(a => a.ProjectId == project.Id && a.EventType == ArtifactEventTypes.AddArtifactAlias && a.DeletedAt == null && a.Enabled && (a.CollectionId == null || a.CollectionId == collectionId))
                .Select(a => new { a.CollectionId, a.AliasPattern }).Distinct().ToQueryString()),
            ("a capped count (runs)", $"SELECT COUNT(*) FROM (SELECT 1 FROM \"AutomationRuns\" WHERE \"ProjectId\" = {project.Id} LIMIT 10001) AS c"),
            ("a capped count (failed runs)", $"SELECT COUNT(*) FROM (SELECT 1 FROM \"AutomationRuns\" WHERE \"ProjectId\" = {project.Id} AND \"Status\" = 'Failed' LIMIT 10001) AS c"),
        };
        foreach (var (name, sql) in queries)
        {
            await QueryPlans.PrintAsync(db.Database.GetDbConnection(), provider == "postgres", $"{name}:", sql);
        }

        return 0;
    }
}
