using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Automations.Features.ApiKeys;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.E2E;

/// <summary>
/// Metrics as Prometheus scrapes them, from the app in a process of its own (so nothing else in the test process
/// moves its counters): a delivery that fails once and then succeeds moves exactly the counters it should.
/// </summary>
[Collection(WorkerHostsCollection.Name)]
public class MetricsProcessTests
{
    [Fact]
    public async Task A_scrape_on_the_metrics_port_after_a_retried_delivery_shows_every_engine_counter_moved()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await LoopbackReceiver.StartAsync();
        var calls = 0;
        receiver.Respond = context =>
        {
            context.Response.StatusCode = Interlocked.Increment(ref calls) == 1 ? 503 : 200;
            return Task.CompletedTask;
        };

        // The app and the set-up share one SQLite file: the set-up migrates it, the app finds nothing to do.
        await using var services = await TestServices.CreateAsync();
        services.Resolver.Map("localhost", "127.0.0.1");
        var team = await services.CreateTeamAsync();
        var key = (await services.Get<ApiKeyService>().CreateAsync(team.Member, "metrics")).Key;
        await services.Provider.WebhookAutomationAsync(team, receiver.Url(), collection: "eval");

        var metricsPort = PostgresServer.FreePort();
        await using var app = new AppProcess("metrics", new()
        {
            ["Storage:DataDirectory"] = services.DataDirectory,
            ["Outbound:AllowedHosts"] = "localhost",
            ["Dispatch:RetrySchedule:0"] = "00:00:01",
            ["Telemetry:Prometheus:Port"] = metricsPort.ToString(),
            ["Telemetry:GaugeCache"] = "00:00:00",
        });
        await app.StartAsync();
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        var before = await scraper.GetStringAsync("/metrics", ct);
        Assert.Equal(0, Value(before, "automations_deliveries_total", "outcome=\"succeeded\""));
        Assert.Contains("automations_dispatch_backlog", before);
        Assert.Contains("automations_agents_online", before);

        using var api = new HttpClient { BaseAddress = new Uri(app.Url) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var logged = await api.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/projects/vision/collections/eval/versions", new { type = "dataset" }, ct);
        Assert.True(logged.IsSuccessStatusCode, await logged.Content.ReadAsStringAsync(ct));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        string scraped;
        while (Value(scraped = await scraper.GetStringAsync("/metrics", ct), "automations_deliveries_total", "outcome=\"succeeded\"") < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no successful delivery counted:\n{scraped}\n{app.Output}");
            await Task.Delay(250, ct);
        }

        Assert.Equal(1, Value(scraped, "automations_deliveries_total", "action_type=\"webhook\"", "outcome=\"will_retry\""));
        Assert.Equal(1, Value(scraped, "automations_deliveries_total", "action_type=\"webhook\"", "outcome=\"succeeded\""));
        Assert.Equal(0, Value(scraped, "automations_deliveries_total", "outcome=\"failed\""));
        Assert.Equal(1, Value(scraped, "automations_retries_scheduled_total", "action_type=\"webhook\""));
        Assert.Equal(2, Value(scraped, "automations_delivery_duration_seconds_count"));
        Assert.Equal(0, Value(scraped, "automations_dispatch_backlog"));
        Assert.True(Value(scraped, "http_server_request_duration_seconds_count", "http_route=\"/api/v1/teams/{team}/projects/{project}/collections/{collection}/versions") >= 1,
            "ASP.NET Core's request metrics are exported");
        Assert.True(Value(scraped, "http_client_request_duration_seconds_count", "server_address=\"localhost\"") >= 2, "HttpClient's metrics are exported");
        Assert.DoesNotContain("/hook", scraped);

        // On the app's own port the endpoint does not exist when it has a port of its own.
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/metrics", ct)).StatusCode);
    }

    /// <summary>The sum of the samples of a metric whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string exposition, string metric, params string[] labels) =>
        exposition.Split('\n')
            .Select(line => Regex.Match(line, $@"^{Regex.Escape(metric)}(\{{(?<labels>.*)\}})? (?<value>\S+)$"))
            .Where(m => m.Success && labels.All(l => m.Groups["labels"].Value.Contains(l)))
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
}
