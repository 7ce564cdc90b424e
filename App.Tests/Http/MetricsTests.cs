using System.Net;
using System.Net.Http.Headers;
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
