using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Automations.Data;
using Automations.Infrastructure.Telemetry;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Http;

/// <summary>The scrape endpoint on the app's own port: instance administrators' keys only.</summary>
public class MetricsTests
{
    [Fact]
    public async Task Metrics_answer_401_without_a_key_403_to_a_team_admin_and_the_exposition_to_an_instance_admin()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        var team = await app.CreateTeamAsync();
        var teamAdminKey = await app.ApiKeyAsync(team.Admin);
        var operatorKey = await app.ApiKeyAsync(team.Member);
        await using (var db = await app.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.Users.Where(u => u.Id == team.Member.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsInstanceAdmin, true));
        }

        using var client = app.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(client, "ak_not-a-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(client, teamAdminKey)).StatusCode);

        var scraped = await Get(client, operatorKey);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType!.ToString());
        var text = await scraped.Content.ReadAsStringAsync();
        foreach (var name in new[] { "automations_dispatch_backlog", "automations_dispatch_backlog_age_seconds", "automations_launch_queued", "automations_launch_queued_age_seconds", "automations_agents_online" })
        {
            Assert.Contains($"# TYPE {name} gauge", text);
        }
    }

    [Fact]
    public async Task The_endpoint_can_be_turned_off()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["Telemetry:Prometheus:Enabled"] = "false" });
        var team = await app.CreateTeamAsync();
        await using (var db = await app.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.Users.Where(u => u.Id == team.Admin.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsInstanceAdmin, true));
        }

        using var client = app.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.NotFound, (await Get(client, await app.ApiKeyAsync(team.Admin))).StatusCode);
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/…")]
    [InlineData("https://example.com/hook?token=abc", "https://example.com/…")]
    [InlineData("http://localhost:8080/", "http://localhost:8080/")]
    [InlineData("https://user:pass@example.com/x", "https://example.com/…")]
    public void Outbound_urls_keep_only_scheme_and_host_in_traces(string url, string expected) =>
        Assert.Equal(expected, TelemetrySetup.RedactUrl(new Uri(url)));

    private static Task<HttpResponseMessage> Get(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client.SendAsync(request);
    }
}

/// <summary>Traces pushed over OTLP to a collector on a loopback socket: an outgoing webhook's URL arrives without its path.</summary>
public class TraceExportTests
{
    [Fact]
    public async Task An_exported_trace_of_a_webhook_call_names_its_host_but_never_its_secret_path()
    {
        await using var collector = await LoopbackReceiver.StartAsync();
        // The webhook's receiver is a bare socket, not Kestrel: the app's tracer would also see an in-process server's
        // spans, and the receiving side of course knows its own path.
        using var receiver = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        receiver.Start();
        var port = ((IPEndPoint)receiver.LocalEndpoint).Port;
        var requestLine = AnswerOnceAsync(receiver);
        const string secretPath = "/services/T0AAA/B0BBB/sEcReTpAtHvAlUe";
        await using (var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Telemetry:OtlpEndpoint"] = $"http://127.0.0.1:{collector.Port}",
            ["Telemetry:OtlpProtocol"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        }))
        {
            var team = await app.CreateTeamAsync();
            using var client = app.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.ApiKeyAsync(team.Admin));
            var created = await client.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/webhooks", new { name = "slack-like", url = $"http://localhost:{port}{secretPath}" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!.GetValue<int>();
            var sent = await client.PostAsync($"/api/v1/teams/{team.Slug}/webhooks/{id}/test", JsonContent.Create(new { text = "hi" }));
            Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync());
            Assert.Equal($"POST {secretPath} HTTP/1.1", await requestLine);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!collector.Received.Any(r => r.Path == "/v1/traces" && r.BodyText.Contains($"localhost:{port}")))
            {
                Assert.True(DateTime.UtcNow < deadline, "collector got: " + string.Join(", ", collector.Received.Select(r => r.Path)));
                await Task.Delay(100);
            }
        }

        var traces = collector.Received.Where(r => r.Path == "/v1/traces").Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        var all = string.Join("\n", traces);
        Assert.Contains($"http://localhost:{port}/…", all);
        Assert.DoesNotContain("sEcReTpAtHvAlUe", all);
        Assert.DoesNotContain("B0BBB", all);
        Assert.Contains(collector.Received, r => r.Path == "/v1/metrics");
    }

    private static async Task<string> AnswerOnceAsync(System.Net.Sockets.TcpListener listener)
    {
        using var socket = await listener.AcceptTcpClientAsync();
        var stream = socket.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        var first = await reader.ReadLineAsync() ?? "";
        var length = 0;
        for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim());
            }
        }

        var body = new char[length];
        await reader.ReadBlockAsync(body);
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        return first;
    }
}
