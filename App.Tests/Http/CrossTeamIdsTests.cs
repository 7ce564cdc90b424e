using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Data;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>
/// Team B's admin calls every API route under team B's path with the ids of team A's things (webhook, automation,
/// run, launch run, agent, member, key, service key): each answer is a 404, and nothing of team A changes.
/// </summary>
public class CrossTeamIdsTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _a = null!;
    private TeamFixture _b = null!;
    private HttpClient _adminA = null!;
    private HttpClient _adminB = null!;
    private readonly Dictionary<string, string> _idsOfA = [];

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _a = await _app.CreateTeamAsync("team-a");
        _b = await _app.CreateTeamAsync("team-b");
        _adminA = await _app.ApiClientAsync(_a.Admin);
        _adminB = await _app.ApiClientAsync(_b.Admin);
        foreach (var (client, slug) in new[] { (_adminA, _a.Slug), (_adminB, _b.Slug) })
        {
            var t = $"/api/v1/teams/{slug}";
            var hook = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/webhooks", new { name = "hook", url = "http://localhost:9/hook" })));
            await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/projects", new { name = "vision" }));
            await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/projects/vision/collections/eval/versions", new { type = "dataset" }));
            var automation = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/projects/vision/automations", new
            {
                name = "a", eventType = "LINK_ARTIFACT", collection = "eval", actionType = "webhook", webhookId = hook.GetProperty("id").GetInt32(),
                payloadTemplate = "{\"e\": \"${event_type}\"}",
            })));
            await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/projects/vision/collections/eval/versions", new { }));
            await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/launch/queues", new { name = "local" }));
            await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/launch/jobs", new { name = "train", version = new { program = "/bin/true" } }));
            var agent = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/launch/agents", new { queue = "local" })));
            await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/launch/queues/local/runs", new { job = "train", project = "vision" }));
            var launchRun = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/launch/queues/local/claim", new { agentId = agent.GetProperty("agentId").GetInt32() })));
            if (slug != _a.Slug)
            {
                continue;
            }

            var runs = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.GetAsync($"{t}/projects/vision/runs")));
            var members = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.GetAsync($"{t}/members")));
            var keys = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.GetAsync("/api/v1/api-keys")));
            var serviceKey = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(client.PostAsJsonAsync($"{t}/service-keys", new { name = "ci", permission = "read" })));
            _idsOfA["webhook"] = hook.GetProperty("id").GetInt32().ToString();
            _idsOfA["automation"] = automation.GetProperty("summary").GetProperty("id").GetInt32().ToString();
            _idsOfA["run"] = runs.GetProperty("items")[0].GetProperty("id").GetInt64().ToString();
            _idsOfA["launchRun"] = launchRun.GetProperty("runId").GetInt64().ToString();
            _idsOfA["agentId"] = agent.GetProperty("agentId").GetInt32().ToString();
            _idsOfA["userId"] = members.EnumerateArray().First(m => m.GetProperty("role").GetString() == "Member").GetProperty("userId").GetString()!;
            _idsOfA["key"] = keys.EnumerateArray().First().GetProperty("id").GetInt32().ToString();
            _idsOfA["serviceKey"] = serviceKey.GetProperty("summary").GetProperty("id").GetInt32().ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _adminA.Dispose();
        _adminB.Dispose();
        await _app.DisposeAsync();
    }

    /// <summary>A's id for the route parameter, or null when the parameter is not an id (team B's own names fill those).</summary>
    private string? IdOfA(string routePrefix, string parameter) => parameter switch
    {
        "agentId" => _idsOfA["agentId"],
        "userId" => _idsOfA["userId"],
        "id" when routePrefix.Contains("/webhooks") => _idsOfA["webhook"],
        "id" when routePrefix.Contains("/automations") => _idsOfA["automation"],
        "id" when routePrefix.Contains("/projects/{project}/runs") => _idsOfA["run"],
        "id" when routePrefix.Contains("/launch/runs") => _idsOfA["launchRun"],
        "id" when routePrefix.Contains("/launch/agents") => _idsOfA["agentId"],
        "id" when routePrefix.Contains("/api-keys") => _idsOfA["key"],
        "id" when routePrefix.Contains("/service-keys") => _idsOfA["serviceKey"],
        _ => null,
    };

    [Fact]
    public async Task Every_id_route_under_another_team_answers_404_and_changes_nothing()
    {
        var b = new Dictionary<string, string> { ["team"] = _b.Slug, ["project"] = "vision", ["collection"] = "eval", ["reference"] = "v0", ["alias"] = "latest",
            ["name"] = "NONE", ["job"] = "train", ["queue"] = "local" };
        // A body every route can bind, naming A's agent where a route takes the agent in its body.
        var body = new
        {
            agentId = int.Parse(_idsOfA["agentId"]), status = "Running", text = "x", enabled = false, name = "renamed", url = "http://localhost:9/other",
            role = "Admin", eventType = "LINK_ARTIFACT", collection = "eval", actionType = "webhook", webhookId = int.Parse(_idsOfA["webhook"]),
            payloadTemplate = "{}", payload = "{}", since = DateTimeOffset.UtcNow.AddHours(-1),
        };
        var tried = 0;
        var failures = new List<string>();
        foreach (var (endpoint, method) in ApiRoutes.All(_app.Services))
        {
            var raw = endpoint.RoutePattern.RawText!;
            var takesAgentInBody = raw.EndsWith("/claim") || raw.EndsWith("/status") || raw.EndsWith("/output");
            if (!endpoint.RoutePattern.Parameters.Any(p => IdOfA(raw, p.Name) is not null) && !takesAgentInBody)
            {
                continue;
            }

            var path = ApiRoutes.Path(endpoint.RoutePattern, name => IdOfA(raw, name) ?? b[name]);
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT")
            {
                request.Content = JsonContent.Create(body);
            }

            tried++;
            var response = await _adminB.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                failures.Add($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(tried >= 15, $"only {tried} routes tried");
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var agent = await db.LaunchAgents.SingleAsync(x => x.Id == int.Parse(_idsOfA["agentId"]));
        Assert.Null(agent.StoppedAt);
        var hook = await db.Webhooks.SingleAsync(x => x.Id == int.Parse(_idsOfA["webhook"]));
        Assert.Equal("hook", hook.Name);
        var automation = await db.Automations.SingleAsync(x => x.Id == int.Parse(_idsOfA["automation"]));
        Assert.True(automation is { Enabled: true, DeletedAt: null, Name: "a" });
        var run = await db.AutomationRuns.SingleAsync(x => x.Id == long.Parse(_idsOfA["run"]));
        Assert.False(run.ManualRedelivery);
        var launchRun = await db.LaunchRuns.SingleAsync(x => x.Id == long.Parse(_idsOfA["launchRun"]));
        Assert.True(launchRun is { CancelRequested: false, Status: LaunchRunStatus.Claimed, OutputTail: "" });
        Assert.True(await db.TeamMembers.AnyAsync(m => m.UserId == _idsOfA["userId"] && m.Team.Slug == _a.Slug));
        Assert.True(await db.ApiKeys.AnyAsync(k => k.Id == int.Parse(_idsOfA["key"]) && k.RevokedAt == null));
        Assert.True(await db.ApiKeys.AnyAsync(k => k.Id == int.Parse(_idsOfA["serviceKey"]) && k.RevokedAt == null));
    }
}
