using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>
/// Every API route, fed what a hostile or broken client sends: no answer is a 500, and bad input changes nothing.
/// The routes come from the app's own endpoint table, so a route added later is covered without editing this test.
/// </summary>
public class HostileInputTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private HttpClient _admin = null!;
    private Dictionary<string, string> _routeValues = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _team = await _app.CreateTeamAsync();
        _admin = await _app.ApiClientAsync(_team.Admin);
        var t = $"/api/v1/teams/{_team.Slug}";
        await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/secrets", new { name = "TOKEN", value = "tok-123456" }));
        var webhook = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/webhooks", new { name = "hook", url = "http://localhost:9/hook" })));
        await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/projects", new { name = "vision" }));
        await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/projects/vision/collections/eval/versions", new { type = "dataset", aliases = new[] { "production" } }));
        var automation = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/projects/vision/automations", new
        {
            name = "a", eventType = "LINK_ARTIFACT", collection = "eval", actionType = "webhook", webhookId = webhook.GetProperty("id").GetInt32(),
            payloadTemplate = "{\"e\": \"${event_type}\"}",
        })));
        await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/launch/queues", new { name = "local" }));
        await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/launch/jobs", new { name = "train", version = new { program = "/bin/true" } }));
        var agent = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(_admin.PostAsJsonAsync($"{t}/launch/agents", new { queue = "local" })));
        var members = await ApiRoutes.JsonAsync(await ApiRoutes.OkAsync(_admin.GetAsync($"{t}/members")));
        _routeValues = new Dictionary<string, string>
        {
            ["team"] = _team.Slug, ["project"] = "vision", ["collection"] = "eval", ["reference"] = "v0", ["alias"] = "production",
            ["name"] = "TOKEN", ["job"] = "train", ["queue"] = "local",
            ["userId"] = members.EnumerateArray().First(m => m.GetProperty("role").GetString() == "Member").GetProperty("userId").GetString()!,
            ["id"] = automation.GetProperty("summary").GetProperty("id").GetInt32().ToString(),
            ["agentId"] = agent.GetProperty("agentId").GetInt32().ToString(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    /// <summary>Each API route with a body, its template filled with real values of the admin's team.</summary>
    private IEnumerable<(HttpMethod Method, string Path)> BodyRoutes() =>
        from route in ApiRoutes.All(_app.Services)
        where route.Method is "POST" or "PUT"
        select (new HttpMethod(route.Method), ApiRoutes.Path(route.Endpoint.RoutePattern, name => _routeValues[name]));

    private const string LoneSurrogate = "\\ud800";

    /// <summary>Bodies that are broken in the ways clients break them, with every field name the API uses.</summary>
    private static IEnumerable<(string What, byte[] Body)> HostileBodies()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        string[] fields = ["name", "value", "url", "description", "type", "digest", "alias", "program", "queue", "job", "project", "text", "error",
            "payloadTemplate", "overrides", "aliasPattern", "eventType", "collection", "actionType", "email", "role", "workingDirectory", "notes"];
        string[] objects = ["metadata", "config", "defaultConfig", "settings"];
        var surrogates = "{" + string.Join(",", fields.Select(f => $"\"{f}\":\"a{LoneSurrogate}b\"").Concat(objects.Select(o => $"\"{o}\":{{\"k{LoneSurrogate}\":\"{LoneSurrogate}\"}}"))) + "}";
        yield return ("lone surrogates in every field", Utf8(surrogates));
        yield return ("lone surrogates inside objects only", Utf8("{\"name\":\"ok\",\"type\":\"dataset\",\"program\":\"/bin/true\",\"queue\":\"local\"," +
            string.Join(",", objects.Select(o => $"\"{o}\":{{\"k\":[\"{LoneSurrogate}\"]}}")) + "}"));
        yield return ("invalid UTF-8 in a string", [.. Utf8("{\"name\":\""), 0xFF, 0xFE, .. Utf8("\",\"type\":\"dataset\"}")]);
        yield return ("invalid UTF-8 inside objects", [.. Utf8("{\"name\":\"ok\",\"type\":\"dataset\",\"metadata\":{\"k\":\""), 0xC3, 0x28, .. Utf8("\"},\"config\":{\"k\":\""), 0xED, 0xA0, 0x80, .. Utf8("\"}}")]);
        yield return ("not JSON", Utf8("name=x&value=y"));
        yield return ("truncated JSON", Utf8("{\"name\": \"x"));
        yield return ("wrong types", Utf8("{\"name\": 12, \"aliases\": \"x\", \"metadata\": [], \"agentId\": \"x\", \"enabled\": \"yes\", \"webhookId\": 1e999}"));
        yield return ("an array", Utf8("[1,2,3]"));
        yield return ("null", Utf8("null"));
        yield return ("empty", []);
        yield return ("deep nesting", Utf8(new string('[', 5000) + new string(']', 5000)));
        yield return ("NUL and control characters", Utf8("{\"name\":\"a\\u0000b\",\"description\":\"\\u0007\",\"value\":\"x\\u0000\",\"url\":\"http://a\\u0000.example.com/\"}"));
        yield return ("huge host name", Utf8("{\"name\":\"h\",\"url\":\"https://" + string.Join(".", Enumerable.Repeat(new string('a', 63), 8)) + "/\"}"));
        yield return ("a host label too long", Utf8("{\"name\":\"h\",\"url\":\"https://" + new string('a', 64) + ".example.com/\"}"));
    }

    [Fact]
    public async Task No_api_route_answers_500_to_a_hostile_body()
    {
        var routes = BodyRoutes().ToList();
        Assert.True(routes.Count > 20, $"only {routes.Count} routes found");
        var failures = new List<string>();
        foreach (var (method, path) in routes)
        {
            foreach (var (what, body) in HostileBodies())
            {
                var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                var response = await _admin.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if ((int)response.StatusCode >= 500)
                {
                    failures.Add($"{method} {path} with {what}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
                }
                else if (response.StatusCode == HttpStatusCode.BadRequest && !text.Contains("\"errors\"", StringComparison.Ordinal))
                {
                    failures.Add($"{method} {path} with {what}: a 400 that names no field: {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Invalid_unicode_in_metadata_is_refused_naming_the_field_and_stores_nothing()
    {
        var versions = $"/api/v1/teams/{_team.Slug}/projects/vision/collections/eval/versions";
        var before = (await ApiRoutes.JsonAsync(await _admin.GetAsync(versions))).GetProperty("total").GetInt32();

        foreach (var body in new[]
                 {
                     Encoding.UTF8.GetBytes($"{{\"metadata\": {{\"note\": \"{LoneSurrogate}\"}}}}"),
                     Encoding.UTF8.GetBytes($"{{\"metadata\": {{\"nested\": [{{\"k{LoneSurrogate}\": 1}}]}}}}"),
                     [.. Encoding.UTF8.GetBytes("{\"metadata\": {\"note\": \""), 0xFF, .. Encoding.UTF8.GetBytes("\"}}")],
                 })
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var response = await _admin.PostAsync(versions, content);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ApiRoutes.JsonAsync(response);
            Assert.StartsWith("metadata", problem.GetProperty("errors").EnumerateObject().Single().Name);
        }

        Assert.Equal(before, (await ApiRoutes.JsonAsync(await _admin.GetAsync(versions))).GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("/api/v1/teams/%ED%A0%80/projects")]
    [InlineData("/api/v1/teams/acme/projects/%FF%FE/collections")]
    [InlineData("/api/v1/teams/acme/projects/vision/collections/eval/versions/%F0%9F")]
    [InlineData("/api/v1/teams/acme/projects/vision/runs?status=%FF&automationId=abc&page=-1&pageSize=999999999")]
    public async Task Broken_paths_and_queries_are_not_server_errors(string path)
    {
        var response = await _admin.GetAsync(path);

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
