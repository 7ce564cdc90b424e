using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Features.Dispatch;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

public class RunsApiTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private long _runId;
    private string _runs = "";

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _app.Resolver.Map("hooks.example.com", "93.184.216.34");
        _team = await _app.CreateTeamAsync();
        await _app.Services.WebhookAutomationAsync(_team, "https://hooks.example.com/ci");
        await _app.Services.LogVersionAsync(_team);
        await using var db = await _app.Get<IDbContextFactory<Automations.Data.AppDbContext>>().CreateDbContextAsync();
        _runId = await db.AutomationRuns.Select(r => r.Id).SingleAsync();
        await db.AutomationRuns.Where(r => r.Id == _runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Failed).SetProperty(r => r.NextAttemptAt, (DateTimeOffset?)null));
        _runs = $"/api/v1/teams/{_team.Slug}/projects/vision/runs";
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Members_read_history_and_redeliver_outsiders_get_404_and_anonymous_401()
    {
        using var member = await _app.ApiClientAsync(_team.Member);
        using var outsider = await _app.ApiClientAsync(_team.Outsider);
        using var anonymous = _app.CreateClient();
        var routes = new (HttpMethod Method, string Path, HttpStatusCode Success)[]
        {
            (HttpMethod.Get, _runs, HttpStatusCode.OK),
            (HttpMethod.Get, $"{_runs}?status=Failed", HttpStatusCode.OK),
            (HttpMethod.Get, $"{_runs}/{_runId}", HttpStatusCode.OK),
            (HttpMethod.Post, $"{_runs}/{_runId}/redeliver", HttpStatusCode.OK),
        };

        foreach (var (method, path, success) in routes)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(new HttpRequestMessage(method, path))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await outsider.SendAsync(new HttpRequestMessage(method, path))).StatusCode);
            var response = await member.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(success == response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(HttpStatusCode.Conflict, (await member.PostAsync($"{_runs}/{_runId}/redeliver", null)).StatusCode);
        var filtered = await member.GetFromJsonAsync<JsonElement>($"{_runs}?status=Succeeded");
        Assert.Equal(0, filtered.GetProperty("total").GetInt32());
        var list = await member.GetFromJsonAsync<JsonElement>(_runs);
        Assert.Equal("Pending", list.GetProperty("items")[0].GetProperty("status").GetString());
        Assert.Equal("Notify", list.GetProperty("items")[0].GetProperty("automationName").GetString());
    }
}
