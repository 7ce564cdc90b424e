using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Features.Secrets;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>Every admin action of Team Settings through the REST API: admins may, members get 403, outsiders 404.</summary>
public class AdminActionsHttpTests : IAsyncLifetime
{
    private const string SecretValue = "sv_do-not-leak-0xDEADBEEF";
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private LoopbackReceiver _receiver = null!;
    private int _webhookId;

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory();
        _team = await _app.CreateTeamAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        using var scope = _app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<SecretService>().CreateAsync(_team.Admin, _team.Slug, "TOKEN", SecretValue);
        var hook = await scope.ServiceProvider.GetRequiredService<WebhookService>()
            .CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Receiver", _receiver.Url(), "TOKEN", "TOKEN"));
        _webhookId = hook.Id;
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Each admin action as (method, path, body).</summary>
    private IEnumerable<(HttpMethod Method, string Path, object? Body)> AdminActions()
    {
        var team = $"/api/v1/teams/{_team.Slug}";
        yield return (HttpMethod.Post, $"{team}/secrets", new { name = "NEW_SECRET", value = "x" });
        yield return (HttpMethod.Put, $"{team}/secrets/TOKEN", new { value = "replaced" });
        yield return (HttpMethod.Delete, $"{team}/secrets/TOKEN", null);
        yield return (HttpMethod.Post, $"{team}/webhooks", new { name = "New", url = _receiver.Url("/new") });
        yield return (HttpMethod.Put, $"{team}/webhooks/{_webhookId}", new { name = "Renamed", url = _receiver.Url("/x") });
        yield return (HttpMethod.Post, $"{team}/webhooks/{_webhookId}/test", new { hello = "world" });
        yield return (HttpMethod.Delete, $"{team}/webhooks/{_webhookId}", null);
        yield return (HttpMethod.Post, $"{team}/members", new { user = "someone@example.com", role = "Member" });
        yield return (HttpMethod.Put, $"{team}/members/{_team.Admin.UserId}", new { role = "Member" });
        yield return (HttpMethod.Delete, $"{team}/members/{_team.Admin.UserId}", null);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body) =>
        new(method, path) { Content = body is null ? null : JsonContent.Create(body) };

    [Fact]
    public async Task Member_gets_403_for_every_admin_action_and_nothing_changes()
    {
        using var client = await _app.ApiClientAsync(_team.Member);

        foreach (var (method, path, body) in AdminActions())
        {
            using var response = await client.SendAsync(Request(method, path, body));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Empty(_receiver.Received);
        using var admin = await _app.ApiClientAsync(_team.Admin);
        Assert.Single(await admin.GetFromJsonAsync<JsonElement[]>($"/api/v1/teams/{_team.Slug}/webhooks") ?? []);
        Assert.Single(await admin.GetFromJsonAsync<JsonElement[]>($"/api/v1/teams/{_team.Slug}/secrets") ?? []);
    }

    [Fact]
    public async Task Outsider_gets_404_for_reads_and_admin_actions()
    {
        using var client = await _app.ApiClientAsync(_team.Outsider);
        var reads = new[] { "", "/secrets", "/webhooks", $"/webhooks/{_webhookId}", "/members" }
            .Select(p => (HttpMethod.Get, $"/api/v1/teams/{_team.Slug}{p}", (object?)null));

        foreach (var (method, path, body) in reads.Concat(AdminActions()))
        {
            using var response = await client.SendAsync(Request(method, path, body));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode}");
        }

        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Every_team_route_is_401_without_a_key()
    {
        using var anonymous = _app.CreateClient();
        var reads = new[] { "", "/secrets", "/webhooks", $"/webhooks/{_webhookId}", "/members" }
            .Select(p => (HttpMethod.Get, $"/api/v1/teams/{_team.Slug}{p}", (object?)null));

        foreach (var (method, path, body) in reads.Concat(AdminActions()).Append((HttpMethod.Post, $"/api/v1/teams/{_team.Slug}/webhooks/{_webhookId}/enable", null)))
        {
            using var response = await anonymous.SendAsync(Request(method, path, body));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}");
        }

        Assert.Empty(_receiver.Received);
    }

    [Theory]
    [InlineData("secrets", """{"name": "1bad-name", "value": "x"}""", "name")]
    [InlineData("secrets", """{"name": "OK_NAME", "value": ""}""", "value")]
    [InlineData("webhooks", """{"name": "", "url": "https://example.com/x"}""", "name")]
    [InlineData("webhooks", """{"name": "X", "url": "http://localhost:1/x", "secretName": "NOPE"}""", "secret")]
    [InlineData("members", """{"user": "nobody@example.com", "role": "Member"}""", "user")]
    public async Task Bad_input_on_team_routes_is_a_400_naming_the_field(string route, string body, string field)
    {
        using var client = await _app.ApiClientAsync(_team.Admin);

        var response = await client.PostAsync($"/api/v1/teams/{_team.Slug}/{route}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _), field);
    }

    [Fact]
    public async Task Missing_or_revoked_key_gets_401()
    {
        using var anonymous = _app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/teams")).StatusCode);

        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "ak_notakey_at_all");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/teams/{_team.Slug}/secrets")).StatusCode);

        using var client = await _app.ApiClientAsync(_team.Admin);
        var keys = await client.GetFromJsonAsync<JsonElement[]>("/api/v1/api-keys");
        var id = keys!.Single().GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/teams")).StatusCode);
    }

    [Fact]
    public async Task Admin_manages_secrets_and_webhooks_and_no_response_carries_a_secret_value()
    {
        using var client = await _app.ApiClientAsync(_team.Admin);
        var team = $"/api/v1/teams/{_team.Slug}";
        var bodies = new List<string>();

        async Task<HttpResponseMessage> Send(HttpMethod method, string path, object? body, HttpStatusCode expected)
        {
            var response = await client.SendAsync(Request(method, path, body));
            bodies.Add(await response.Content.ReadAsStringAsync());
            Assert.True(expected == response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {bodies[^1]}");
            return response;
        }

        await Send(HttpMethod.Post, $"{team}/secrets", new { name = "SECOND", value = SecretValue + "2" }, HttpStatusCode.Created);
        await Send(HttpMethod.Put, $"{team}/secrets/SECOND", new { value = SecretValue + "3" }, HttpStatusCode.NoContent);
        await Send(HttpMethod.Get, $"{team}/secrets", null, HttpStatusCode.OK);
        await Send(HttpMethod.Post, $"{team}/webhooks", new { name = "Second", url = _receiver.Url("/second"), secretName = "SECOND" }, HttpStatusCode.Created);
        await Send(HttpMethod.Get, $"{team}/webhooks", null, HttpStatusCode.OK);
        var test = await Send(HttpMethod.Post, $"{team}/webhooks/{_webhookId}/test", new { event_type = "LINK_ARTIFACT" }, HttpStatusCode.OK);
        await Send(HttpMethod.Delete, $"{team}/secrets/SECOND", null, HttpStatusCode.Conflict);

        var result = JsonDocument.Parse(bodies[5]).RootElement;
        Assert.Equal(200, result.GetProperty("statusCode").GetInt32());
        var received = Assert.Single(_receiver.Received);
        Assert.Equal($"Bearer {SecretValue}", received.Headers["Authorization"]);
        Assert.All(bodies, body => Assert.DoesNotContain(SecretValue, body));
    }

    [Fact]
    public async Task Bad_input_is_a_problem_naming_the_field()
    {
        using var client = await _app.ApiClientAsync(_team.Admin);

        var response = await client.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/webhooks", new { name = "Bad", url = "http://2130706433/hook" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("IP address", problem.GetProperty("errors").GetProperty("url")[0].GetString());

        var invalidJson = await client.PostAsync($"/api/v1/teams/{_team.Slug}/webhooks/{_webhookId}/test",
            new StringContent("{\"a\": }", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, invalidJson.StatusCode);
        Assert.Contains("line 1", await invalidJson.Content.ReadAsStringAsync());
        Assert.Empty(_receiver.Received);
    }
}
