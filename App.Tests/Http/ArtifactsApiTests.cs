using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Http;

public class ArtifactsApiTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private HttpClient _member = null!;
    private HttpClient _outsider = null!;
    private HttpClient _anonymous = null!;
    private string _base = "";

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _team = await _app.CreateTeamAsync();
        _member = await _app.ApiClientAsync(_team.Member);
        _outsider = await _app.ApiClientAsync(_team.Outsider);
        _anonymous = _app.CreateClient();
        _base = $"/api/v1/teams/{_team.Slug}/projects";
        (await _member.PostAsJsonAsync(_base, new { name = "vision", description = "d" })).EnsureSuccessStatusCode();
        (await _member.PostAsJsonAsync($"{_base}/vision/collections", new { name = "eval-set", type = "dataset" })).EnsureSuccessStatusCode();
        (await LogAsync(_member, new { description = "first", metadata = new { accuracy = 0.9 }, aliases = new[] { "production" } })).EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        _member.Dispose();
        _outsider.Dispose();
        _anonymous.Dispose();
        await _app.DisposeAsync();
    }

    private Task<HttpResponseMessage> LogAsync(HttpClient client, object body, string collection = "eval-set", string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{_base}/vision/collections/{collection}/versions") { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return client.SendAsync(request);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Every artifact route with a valid request for the member.</summary>
    private IEnumerable<(HttpMethod Method, string Path, object? Body, HttpStatusCode Success)> Routes()
    {
        var c = $"{_base}/vision/collections";
        yield return (HttpMethod.Get, _base, null, HttpStatusCode.OK);
        yield return (HttpMethod.Post, _base, new { name = "other-project" }, HttpStatusCode.Created);
        yield return (HttpMethod.Get, $"{_base}/vision", null, HttpStatusCode.OK);
        yield return (HttpMethod.Get, c, null, HttpStatusCode.OK);
        yield return (HttpMethod.Post, c, new { name = "models", type = "model" }, HttpStatusCode.Created);
        yield return (HttpMethod.Get, $"{c}/eval-set", null, HttpStatusCode.OK);
        yield return (HttpMethod.Get, $"{c}/eval-set/versions", null, HttpStatusCode.OK);
        yield return (HttpMethod.Post, $"{c}/eval-set/versions", new { description = "x" }, HttpStatusCode.Created);
        yield return (HttpMethod.Get, $"{c}/eval-set/versions/v0", null, HttpStatusCode.OK);
        yield return (HttpMethod.Get, $"{c}/eval-set/versions/production", null, HttpStatusCode.OK);
        yield return (HttpMethod.Post, $"{c}/eval-set/versions/v0/aliases", new { alias = "staging" }, HttpStatusCode.OK);
        yield return (HttpMethod.Delete, $"{c}/eval-set/versions/v0/aliases/staging", null, HttpStatusCode.OK);
        yield return (HttpMethod.Get, $"{_base}/vision/events", null, HttpStatusCode.OK);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body) =>
        new(method, path) { Content = body is null ? null : JsonContent.Create(body) };

    [Fact]
    public async Task Every_route_succeeds_for_a_member_401s_without_a_key_and_404s_across_teams()
    {
        foreach (var (method, path, body, success) in Routes())
        {
            using (var anonymous = await _anonymous.SendAsync(Request(method, path, body)))
            {
                Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {method} {path}: {(int)anonymous.StatusCode}");
            }

            using (var outsider = await _outsider.SendAsync(Request(method, path, body)))
            {
                Assert.True(outsider.StatusCode == HttpStatusCode.NotFound, $"outsider {method} {path}: {(int)outsider.StatusCode}");
            }

            using var member = await _member.SendAsync(Request(method, path, body));
            Assert.True(member.StatusCode == success, $"member {method} {path}: {(int)member.StatusCode} {await member.Content.ReadAsStringAsync()}");
        }
    }

    public static TheoryData<string, string, string, string> BadInputs => new()
    {
        { "POST", "", """{"name": "has space"}""", "name" },
        { "POST", "/vision/collections", """{"name": "ok", "type": ""}""", "type" },
        { "POST", "/vision/collections/eval-set/versions", """{"metadata": [1, 2]}""", "metadata" },
        { "POST", "/vision/collections/eval-set/versions", """{"aliases": ["v7"]}""", "aliases" },
        { "POST", "/vision/collections/eval-set/versions", """{"manifest": [{"path": ""}]}""", "manifest[0].path" },
        { "POST", "/vision/collections/eval-set/versions/v0/aliases", """{"alias": "not valid"}""", "alias" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_a_400_problem_naming_the_field(string method, string path, string body, string field)
    {
        using var response = await _member.SendAsync(new HttpRequestMessage(new HttpMethod(method), _base + path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await Json(response)).GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
    }

    [Fact]
    public async Task Missing_things_are_404_and_duplicates_409()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _member.GetAsync($"{_base}/nope/collections")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _member.GetAsync($"{_base}/vision/collections/eval-set/versions/v99")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await LogAsync(_member, new { }, collection: "unknown")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _member.PostAsJsonAsync(_base, new { name = "vision" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _member.PostAsJsonAsync($"{_base}/vision/collections", new { name = "eval-set", type = "dataset" })).StatusCode);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_with_or_without_content_length()
    {
        var huge = new string('x', 1_100_000);
        var path = $"{_base}/vision/collections/eval-set/versions";

        using var chunked = await LogAsync(_member, new { description = huge });
        using var sized = await _member.PostAsync(path, new StringContent($"{{\"description\": \"{huge}\"}}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.StatusCode);
        Assert.Equal(1, (await Json(await _member.GetAsync($"{_base}/vision/collections/eval-set"))).GetProperty("versionCount").GetInt32());
    }

    [Fact]
    public async Task Log_version_returns_the_version_and_get_by_alias_finds_it()
    {
        using var logged = await LogAsync(_member, new { description = "second", metadata = new { f1 = 0.5 }, manifest = new[] { new { path = "a.csv", size = 3, digest = "d" } }, aliases = new[] { "candidate" } });

        Assert.Equal(HttpStatusCode.Created, logged.StatusCode);
        var version = await Json(logged);
        Assert.Equal("v1", version.GetProperty("version").GetString());
        Assert.Equal(["candidate", "latest"], version.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.EndsWith("/versions/v1", logged.Headers.Location!.ToString());
        var byAlias = await Json(await _member.GetAsync($"{_base}/vision/collections/eval-set/versions/candidate"));
        Assert.Equal(version.GetProperty("id").GetString(), byAlias.GetProperty("id").GetString());
        Assert.Equal(0.5, byAlias.GetProperty("metadata").GetProperty("f1").GetDouble());
    }

    [Fact]
    public async Task Repeated_request_with_an_idempotency_key_creates_nothing_new()
    {
        var body = new { description = "retry me", aliases = new[] { "rc" } };
        using var first = await LogAsync(_member, body, key: "run-42-upload");
        using var second = await LogAsync(_member, body, key: "run-42-upload");
        using var different = await LogAsync(_member, new { description = "something else" }, key: "run-42-upload");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((await Json(first)).GetProperty("id").GetString(), (await Json(second)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        Assert.Equal(2, (await Json(await _member.GetAsync($"{_base}/vision/collections/eval-set"))).GetProperty("versionCount").GetInt32());
        var events = await Json(await _member.GetAsync($"{_base}/vision/events?pageSize=200"));
        Assert.Equal(2, events.GetProperty("items").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "LINK_ARTIFACT"));
    }

    [Fact]
    public async Task Sixteen_clients_logging_at_once_get_gap_free_indices_and_one_event_each()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => _app.ApiClientAsync(_team.Member)));

        var responses = await Task.WhenAll(clients.Select(c => LogAsync(c, new { description = "parallel" })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var indices = await Task.WhenAll(responses.Select(async r => (await Json(r)).GetProperty("index").GetInt32()));
        Assert.Equal(Enumerable.Range(1, 16), indices.Order());
        var events = await Json(await _member.GetAsync($"{_base}/vision/events?pageSize=200"));
        var links = events.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "LINK_ARTIFACT").Select(e => e.GetProperty("version").GetString()).ToList();
        Assert.Equal(17, links.Count);
        Assert.Equal(17, links.Distinct().Count());
    }
}
