using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Automations.Agent;
using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Automations.Tests.Http;

/// <summary>Each key permission over HTTP: one call it allows and the calls it refuses; team limits, expiry, revocation, last use.</summary>
public class ApiKeyScopeTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private HttpClient _admin = null!;
    private string _teamPath = "";
    private string _versions = "";

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["Launch:SweeperEnabled"] = "false" }) { Clock = _clock };
        _team = await _app.CreateTeamAsync();
        _admin = await _app.ApiClientAsync(_team.Admin);
        _teamPath = $"/api/v1/teams/{_team.Slug}";
        _versions = $"{_teamPath}/projects/vision/collections/eval-set/versions";
        (await _admin.PostAsJsonAsync($"{_teamPath}/projects", new { name = "vision" })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync(_versions, new { type = "dataset", aliases = new[] { "latest" } })).EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    private HttpClient Client(string key)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A team service key made by the team admin over the API, as Team Settings would.</summary>
    private async Task<(int Id, string Key)> ServiceKeyAsync(string permission, string? queue = null, int? expiresInDays = null)
    {
        var response = await _admin.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = $"{permission}-key", permission, queue, expiresInDays });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (created["summary"]!["id"]!.GetValue<int>(), created["key"]!.GetValue<string>());
    }

    private async Task<string> PersonalKeyAsync(Actor actor, ApiKeyInput input)
    {
        using var scope = _app.Services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync(actor, input)).Key;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
    }

    private static JsonContent Json(object body) => JsonContent.Create(body, options: AgentClient.Json);

    [Fact]
    public async Task Read_key_reads_and_every_write_is_refused_with_403_naming_the_permission()
    {
        using var read = Client((await ServiceKeyAsync("read")).Key);

        Assert.Equal(HttpStatusCode.OK, (await read.GetAsync($"{_teamPath}/projects/vision/collections/eval-set/versions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await read.GetAsync($"{_teamPath}/webhooks")).StatusCode);
        await AssertRefusedAsync(await read.PostAsJsonAsync(_versions, new { description = "x" }), HttpStatusCode.Forbidden,
            "This API key has the 'read' permission; this call needs 'artifacts'.");
        await AssertRefusedAsync(await read.DeleteAsync($"{_versions}/v0/aliases/latest"), HttpStatusCode.Forbidden, "needs 'artifacts'");
        await AssertRefusedAsync(await read.PostAsJsonAsync($"{_teamPath}/projects", new { name = "other" }), HttpStatusCode.Forbidden, "needs 'member'");
    }

    [Fact]
    public async Task Artifacts_key_logs_versions_and_moves_aliases_but_cannot_create_webhooks_or_projects()
    {
        using var artifacts = Client((await ServiceKeyAsync("artifacts")).Key);

        var logged = await artifacts.PostAsJsonAsync(_versions, new { description = "from CI" });
        Assert.Equal(HttpStatusCode.Created, logged.StatusCode);
        Assert.Equal("artifacts-key (service key)", (await logged.Content.ReadFromJsonAsync<JsonObject>())!["createdBy"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await artifacts.PostAsJsonAsync($"{_versions}/v1/aliases", new { alias = "production" })).StatusCode);
        await AssertRefusedAsync(await artifacts.PostAsJsonAsync($"{_teamPath}/webhooks", new { name = "ci", url = "https://ci.example.com/hook" }),
            HttpStatusCode.Forbidden, "This API key has the 'artifacts' permission; this call needs 'member'.");
        await AssertRefusedAsync(await artifacts.PostAsJsonAsync($"{_teamPath}/projects", new { name = "other" }), HttpStatusCode.Forbidden, "needs 'member'");
    }

    [Fact]
    public async Task Member_key_writes_as_a_member_but_admin_calls_are_refused()
    {
        using var member = Client((await ServiceKeyAsync("member")).Key);

        Assert.Equal(HttpStatusCode.Created, (await member.PostAsJsonAsync($"{_teamPath}/projects", new { name = "nlp" })).StatusCode);
        await AssertRefusedAsync(await member.PostAsJsonAsync($"{_teamPath}/launch/queues", new { name = "gpu" }), HttpStatusCode.Forbidden,
            "This API key has the 'member' permission; this call needs 'admin'.");
        await AssertRefusedAsync(await member.PostAsJsonAsync($"{_teamPath}/secrets", new { name = "TOKEN", value = "s" }), HttpStatusCode.Forbidden, "needs 'admin'");
    }

    [Fact]
    public async Task Admin_service_key_does_admin_things_but_cannot_mint_or_revoke_service_keys()
    {
        var (readId, _) = await ServiceKeyAsync("read");
        using var admin = Client((await ServiceKeyAsync("admin")).Key);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"{_teamPath}/launch/queues", new { name = "gpu" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"{_teamPath}/service-keys")).StatusCode);
        await AssertRefusedAsync(await admin.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "more", permission = "admin" }), HttpStatusCode.Forbidden,
            "A service key cannot create or revoke service keys");
        await AssertRefusedAsync(await admin.DeleteAsync($"{_teamPath}/service-keys/{readId}"), HttpStatusCode.Forbidden, "A service key cannot");
        // A service key is nobody's: it has no personal keys to manage.
        await AssertRefusedAsync(await admin.GetAsync("/api/v1/api-keys"), HttpStatusCode.Forbidden, "cannot list or revoke your API keys");
    }

    [Fact]
    public async Task A_limited_personal_admin_key_cannot_mint_a_service_key_that_would_outlive_it()
    {
        using var limited = Client(await PersonalKeyAsync(_team.Admin, new ApiKeyInput("ops", _team.Slug, KeyPermission.Admin, ExpiresInDays: 1)));

        Assert.Equal(HttpStatusCode.Created, (await limited.PostAsJsonAsync($"{_teamPath}/launch/queues", new { name = "gpu" })).StatusCode);
        await AssertRefusedAsync(await limited.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "forever", permission = "admin" }), HttpStatusCode.Forbidden,
            "A limited API key cannot create keys");
        // Revoking needs no such care: it only takes access away.
        var (readId, _) = await ServiceKeyAsync("read");
        Assert.Equal(HttpStatusCode.NoContent, (await limited.DeleteAsync($"{_teamPath}/service-keys/{readId}")).StatusCode);
    }

    [Fact]
    public async Task A_key_that_expires_creates_only_keys_that_expire_by_then()
    {
        using var shortLived = Client(await PersonalKeyAsync(_team.Admin, new ApiKeyInput("today", ExpiresInDays: 1)));

        await AssertRefusedAsync(await shortLived.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "forever", permission = "read" }), HttpStatusCode.Forbidden,
            "a key it creates must expire by then");
        await AssertRefusedAsync(await shortLived.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "longer", permission = "read", expiresInDays = 2 }),
            HttpStatusCode.Forbidden, "a key it creates must expire by then");
        Assert.Equal(HttpStatusCode.Created, (await shortLived.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "today-too", permission = "read", expiresInDays = 1 })).StatusCode);
    }

    [Fact]
    public async Task Agent_key_claims_and_reports_only_its_own_queues_runs_and_reaches_nothing_else()
    {
        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "training", null);
        }

        (await _admin.PostAsync($"{_teamPath}/launch/jobs", Json(new JobInput("train", null, new JobVersionInput("/bin/true"))))).EnsureSuccessStatusCode();
        foreach (var queue in new[] { "gpu", "cpu" })
        {
            (await _admin.PostAsync($"{_teamPath}/launch/queues", Json(new QueueInput(queue)))).EnsureSuccessStatusCode();
            (await _admin.PostAsync($"{_teamPath}/launch/queues/{queue}/runs", Json(new LaunchRequest("train", null, "training")))).EnsureSuccessStatusCode();
        }

        // The cpu queue's run is claimed by an agent with the admin's own key.
        var cpuAgent = (await (await _admin.PostAsync($"{_teamPath}/launch/agents", Json(new AgentRegistration("cpu")))).Content.ReadFromJsonAsync<AgentRegistered>(AgentClient.Json))!;
        var cpuRun = (await (await _admin.PostAsync($"{_teamPath}/launch/queues/cpu/claim", Json(new AgentRequest(cpuAgent.AgentId)))).Content.ReadFromJsonAsync<ClaimedRun>(AgentClient.Json))!;

        using var agent = Client((await ServiceKeyAsync("agent", queue: "gpu")).Key);
        var registered = await agent.PostAsync($"{_teamPath}/launch/agents", Json(new AgentRegistration("gpu", "gpu-box")));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var agentId = (await registered.Content.ReadFromJsonAsync<AgentRegistered>(AgentClient.Json))!.AgentId;
        var claimed = await agent.PostAsync($"{_teamPath}/launch/queues/gpu/claim", Json(new AgentRequest(agentId)));
        Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);
        var run = (await claimed.Content.ReadFromJsonAsync<ClaimedRun>(AgentClient.Json))!;
        Assert.Equal("gpu", run.Queue);
        Assert.Equal(HttpStatusCode.OK, (await agent.PostAsync($"{_teamPath}/launch/agents/{agentId}/heartbeat", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agent.PostAsync($"{_teamPath}/launch/runs/{run.RunId}/status", Json(new StatusReport(agentId, LaunchRunStatus.Finished, 0)))).StatusCode);

        // Another queue, whether named in the URL or reached through its agent or run, is refused.
        await AssertRefusedAsync(await agent.PostAsync($"{_teamPath}/launch/agents", Json(new AgentRegistration("cpu"))), HttpStatusCode.Forbidden,
            "This agent key serves another queue; it cannot act on queue 'cpu'.");
        await AssertRefusedAsync(await agent.PostAsync($"{_teamPath}/launch/queues/cpu/claim", Json(new AgentRequest(agentId))), HttpStatusCode.Forbidden, "another queue");
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync($"{_teamPath}/launch/queues/gpu/claim", Json(new AgentRequest(cpuAgent.AgentId)))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync($"{_teamPath}/launch/agents/{cpuAgent.AgentId}/heartbeat", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await agent.PostAsync($"{_teamPath}/launch/runs/{cpuRun.RunId}/status", Json(new StatusReport(cpuAgent.AgentId, LaunchRunStatus.Failed)))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync($"{_teamPath}/launch/runs/{cpuRun.RunId}/output", Json(new OutputChunk(cpuAgent.AgentId, "x")))).StatusCode);

        // Nothing outside the agent protocol, not even reads.
        foreach (var path in new[] { $"{_teamPath}/automations", $"{_teamPath}/launch/runs", $"{_teamPath}/secrets", $"{_teamPath}/projects" })
        {
            await AssertRefusedAsync(await agent.GetAsync(path), HttpStatusCode.Forbidden, "This is an agent key");
        }

        await AssertRefusedAsync(await agent.PostAsync($"{_teamPath}/launch/queues/gpu/runs", Json(new LaunchRequest("train", null, "training"))), HttpStatusCode.Forbidden, "agent key");
    }

    [Fact]
    public async Task A_key_limited_to_one_team_sees_another_team_of_its_user_as_404()
    {
        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<TeamService>().CreateAsync(_team.Admin, "Beta", "beta");
            await scope.ServiceProvider.GetRequiredService<ArtifactService>().CreateProjectAsync(_team.Admin, "beta", "vision", null);
        }

        using var personal = Client(await PersonalKeyAsync(_team.Admin, new ApiKeyInput("acme only", _team.Slug, KeyPermission.Member)));
        using var service = Client((await ServiceKeyAsync("admin")).Key);
        using var unlimited = Client(await PersonalKeyAsync(_team.Admin, new ApiKeyInput("everything")));

        Assert.Equal(HttpStatusCode.OK, (await unlimited.GetAsync("/api/v1/teams/beta/projects/vision")).StatusCode);
        foreach (var client in new[] { personal, service })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{_teamPath}/projects/vision")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/teams/beta")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/teams/beta/projects/vision")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/v1/teams/beta/projects/vision/collections/c/versions", new { type = "model" })).StatusCode);
            var teams = (await client.GetFromJsonAsync<JsonArray>("/api/v1/teams"))!;
            Assert.Equal(new[] { _team.Slug }, teams.Select(t => t!["slug"]!.GetValue<string>()));
            await AssertRefusedAsync(await client.PostAsJsonAsync("/api/v1/teams", new { name = "Gamma" }), HttpStatusCode.Forbidden, "cannot create teams");
        }
    }

    [Fact]
    public async Task An_expired_key_gets_401_saying_it_expired()
    {
        using var service = Client((await ServiceKeyAsync("read", expiresInDays: 1)).Key);
        using var personal = Client(await PersonalKeyAsync(_team.Member, new ApiKeyInput("short", ExpiresAt: _clock.GetUtcNow().AddHours(1))));
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"{_teamPath}/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await personal.GetAsync($"{_teamPath}/projects")).StatusCode);

        _clock.Advance(TimeSpan.FromHours(1));
        await AssertRefusedAsync(await personal.GetAsync($"{_teamPath}/projects"), HttpStatusCode.Unauthorized, "expired at 2026-11-27 13:00 UTC");
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"{_teamPath}/projects")).StatusCode);
        _clock.Advance(TimeSpan.FromDays(1));
        await AssertRefusedAsync(await service.GetAsync($"{_teamPath}/projects"), HttpStatusCode.Unauthorized, "expired");
    }

    [Fact]
    public async Task A_revoked_key_gets_401_on_its_very_next_request()
    {
        var (id, key) = await ServiceKeyAsync("member");
        using var service = Client(key);
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"{_teamPath}/projects")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"{_teamPath}/service-keys/{id}")).StatusCode);
        await AssertRefusedAsync(await service.GetAsync($"{_teamPath}/projects"), HttpStatusCode.Unauthorized, "was revoked");

        using var personal = await _app.ApiClientAsync(_team.Member);
        var mine = (await personal.GetFromJsonAsync<JsonArray>("/api/v1/api-keys"))!;
        Assert.Equal(HttpStatusCode.NoContent, (await personal.DeleteAsync($"/api/v1/api-keys/{mine.Single()!["id"]}")).StatusCode);
        await AssertRefusedAsync(await personal.GetAsync($"{_teamPath}/projects"), HttpStatusCode.Unauthorized, "was revoked");
    }

    [Fact]
    public async Task A_service_key_keeps_working_after_its_creator_leaves_the_team()
    {
        var (_, key) = await ServiceKeyAsync("admin");
        using (var scope = _app.Services.CreateScope())
        {
            var teams = scope.ServiceProvider.GetRequiredService<TeamService>();
            await teams.ChangeRoleAsync(_team.Admin, _team.Slug, _team.Member.UserId, TeamRole.Admin);
            await teams.RemoveMemberAsync(_team.Member, _team.Slug, _team.Admin.UserId);
        }

        using var service = Client(key);
        Assert.Equal(HttpStatusCode.Created, (await service.PostAsJsonAsync($"{_teamPath}/launch/queues", new { name = "gpu" })).StatusCode);
        using var newAdmin = await _app.ApiClientAsync(_team.Member);
        var listed = (await newAdmin.GetFromJsonAsync<JsonArray>($"{_teamPath}/service-keys"))!.Single()!;
        Assert.Equal((_team.Admin.UserName, "Admin"), (listed["createdBy"]!.GetValue<string>(), listed["permission"]!.GetValue<string>()));
        // The creator's own key no longer reaches the team.
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"{_teamPath}/projects")).StatusCode);
    }

    [Fact]
    public async Task A_personal_admin_key_never_exceeds_its_users_current_role()
    {
        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<TeamService>().ChangeRoleAsync(_team.Admin, _team.Slug, _team.Member.UserId, TeamRole.Admin);
        }

        using var key = Client(await PersonalKeyAsync(_team.Member, new ApiKeyInput("ops", _team.Slug, KeyPermission.Admin)));
        Assert.Equal(HttpStatusCode.Created, (await key.PostAsJsonAsync($"{_teamPath}/launch/queues", new { name = "gpu" })).StatusCode);

        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<TeamService>().ChangeRoleAsync(_team.Admin, _team.Slug, _team.Member.UserId, TeamRole.Member);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await key.PostAsJsonAsync($"{_teamPath}/launch/queues", new { name = "cpu" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await key.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "x", permission = "read" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await key.PostAsJsonAsync($"{_teamPath}/projects", new { name = "still-a-member" })).StatusCode);
    }

    [Fact]
    public async Task Only_a_team_admin_makes_agent_keys_and_an_agent_key_names_an_existing_queue()
    {
        using var scope = _app.Services.CreateScope();
        var keys = scope.ServiceProvider.GetRequiredService<ApiKeyService>();
        await Assert.ThrowsAsync<ForbiddenException>(() => keys.CreateAsync(_team.Member, new ApiKeyInput("agent", _team.Slug, KeyPermission.Agent, "gpu")));
        var missing = await _admin.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "agent", permission = "agent", queue = "nope" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("has no queue 'nope'", await missing.Content.ReadAsStringAsync());
        using var member = await _app.ApiClientAsync(_team.Member);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsJsonAsync($"{_teamPath}/service-keys", new { name = "ci", permission = "read" })).StatusCode);
    }

    /// <summary>Routes added later are covered too: an agent key reaches only the routes declared for agents, a read key no write.</summary>
    [Fact]
    public async Task Agent_and_read_keys_are_refused_on_every_route_not_declared_for_them()
    {
        (await _admin.PostAsync($"{_teamPath}/launch/queues", Json(new QueueInput("gpu")))).EnsureSuccessStatusCode();
        using var agent = Client((await ServiceKeyAsync("agent", queue: "gpu")).Key);
        using var read = Client((await ServiceKeyAsync("read")).Key);
        var values = new Dictionary<string, string> { ["team"] = _team.Slug, ["project"] = "vision", ["collection"] = "eval-set", ["reference"] = "v0",
            ["alias"] = "latest", ["queue"] = "gpu" };
        var body = new { agentId = 1, status = "Running", text = "x", name = "n", url = "https://example.com/h", role = "Member", alias = "a", value = "v", queue = "gpu" };
        var agentRoutes = new List<string>();
        var failures = new List<string>();
        foreach (var (endpoint, method) in ApiRoutes.All(_app.Services))
        {
            var needed = endpoint.Metadata.GetMetadata<Automations.Infrastructure.Api.RequiredKeyPermission>()?.Permission;
            if (needed == KeyPermission.Agent)
            {
                agentRoutes.Add($"{method} {endpoint.RoutePattern.RawText}");
                continue;
            }

            var path = ApiRoutes.Path(endpoint.RoutePattern, name => values.GetValueOrDefault(name, "1"));
            foreach (var (client, refused) in new[] { (agent, true), (read, method != "GET" && needed != KeyPermission.Read) })
            {
                var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "POST" or "PUT" ? JsonContent.Create(body) : null };
                var response = await client.SendAsync(request);
                if (refused != (response.StatusCode == HttpStatusCode.Forbidden && (await response.Content.ReadAsStringAsync()).Contains("requiredPermission")))
                {
                    failures.Add($"{(client == agent ? "agent" : "read")} key: {method} {path}: {(int)response.StatusCode}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(new[]
        {
            "POST /api/v1/teams/{team}/launch/agents/", "POST /api/v1/teams/{team}/launch/agents/{id:int}/heartbeat", "POST /api/v1/teams/{team}/launch/agents/{id:int}/stop",
            "POST /api/v1/teams/{team}/launch/queues/{queue}/claim", "POST /api/v1/teams/{team}/launch/runs/{id:long}/output", "POST /api/v1/teams/{team}/launch/runs/{id:long}/status",
        }, agentRoutes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Last_use_is_written_at_most_once_per_window()
    {
        var (id, key) = await ServiceKeyAsync("read");
        using var service = Client(key);
        var first = _clock.GetUtcNow();

        async Task<DateTimeOffset?> LastUsedAsync()
        {
            var listed = (await _admin.GetFromJsonAsync<JsonArray>($"{_teamPath}/service-keys"))!.Single(k => k!["id"]!.GetValue<int>() == id)!;
            return listed["lastUsedAt"]?.GetValue<DateTimeOffset>();
        }

        Assert.Null(await LastUsedAsync());
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"{_teamPath}/projects")).StatusCode);
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"{_teamPath}/projects")).StatusCode);
        Assert.Equal(first, await LastUsedAsync());

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"{_teamPath}/projects")).StatusCode);
        Assert.Equal(first + ApiKeyService.LastUseWindow, await LastUsedAsync());
    }
}
