using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

public class AutomationsApiTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private HttpClient _member = null!;
    private HttpClient _outsider = null!;
    private HttpClient _anonymous = null!;
    private string _base = "";
    private int _webhookId;
    private int _automationId;

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _app.Resolver.Map("hooks.example.com", "93.184.216.34");
        _team = await _app.CreateTeamAsync();
        _member = await _app.ApiClientAsync(_team.Member);
        _outsider = await _app.ApiClientAsync(_team.Outsider);
        _anonymous = _app.CreateClient();
        var project = $"/api/v1/teams/{_team.Slug}/projects";
        (await _member.PostAsJsonAsync(project, new { name = "vision" })).EnsureSuccessStatusCode();
        (await _member.PostAsJsonAsync($"{project}/vision/collections", new { name = "eval-set", type = "dataset" })).EnsureSuccessStatusCode();
        using (var scope = _app.Services.CreateScope())
        {
            _webhookId = (await scope.ServiceProvider.GetRequiredService<WebhookService>()
                .CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", "https://hooks.example.com/ci", null, null))).Id;
        }

        _base = $"{project}/vision/automations";
        var created = await _member.PostAsJsonAsync(_base, Body("Existing"));
        created.EnsureSuccessStatusCode();
        _automationId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("summary").GetProperty("id").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        _member.Dispose();
        _outsider.Dispose();
        _anonymous.Dispose();
        await _app.DisposeAsync();
    }

    private object Body(string name, string? template = null) => new
    {
        name,
        eventType = "LINK_ARTIFACT",
        collection = "eval-set",
        actionType = "webhook",
        webhookId = _webhookId,
        payloadTemplate = template ?? PayloadPresets.GitHub.Template,
    };

    private IEnumerable<(HttpMethod Method, string Path, object? Body, HttpStatusCode Success)> Routes()
    {
        yield return (HttpMethod.Get, _base, null, HttpStatusCode.OK);
        yield return (HttpMethod.Post, _base, Body("New one"), HttpStatusCode.Created);
        yield return (HttpMethod.Get, $"{_base}/{_automationId}", null, HttpStatusCode.OK);
        yield return (HttpMethod.Put, $"{_base}/{_automationId}", Body("Existing", PayloadPresets.Slack.Template), HttpStatusCode.OK);
        yield return (HttpMethod.Put, $"{_base}/{_automationId}/enabled", new { enabled = false }, HttpStatusCode.NoContent);
        yield return (HttpMethod.Post, $"{_base}/preview", new { eventType = "LINK_ARTIFACT", collection = "eval-set", payloadTemplate = "{\"a\": \"${project_name}\"}" }, HttpStatusCode.OK);
        yield return (HttpMethod.Delete, $"{_base}/{_automationId}", null, HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Every_route_succeeds_for_a_member_401s_without_a_key_and_404s_across_teams()
    {
        foreach (var (method, path, body, success) in Routes())
        {
            HttpRequestMessage Request() => new(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using (var anonymous = await _anonymous.SendAsync(Request()))
            {
                Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {method} {path}: {(int)anonymous.StatusCode}");
            }

            using (var outsider = await _outsider.SendAsync(Request()))
            {
                Assert.True(outsider.StatusCode == HttpStatusCode.NotFound, $"outsider {method} {path}: {(int)outsider.StatusCode}");
            }

            using var member = await _member.SendAsync(Request());
            Assert.True(member.StatusCode == success, $"member {method} {path}: {(int)member.StatusCode} {await member.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Invalid_template_is_a_400_naming_the_field_with_line_and_column()
    {
        var response = await _member.PostAsJsonAsync(_base, Body("Broken", "{\n \"a\": 1,\n}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").GetProperty("payloadTemplate")[0].GetString();
        Assert.Contains("line 3", error);
    }

    [Fact]
    public async Task Duplicate_name_is_409()
    {
        Assert.Equal(HttpStatusCode.Conflict, (await _member.PostAsJsonAsync(_base, Body("Existing"))).StatusCode);
    }

    [Fact]
    public async Task Listed_automation_has_the_columns_of_the_tab()
    {
        var list = JsonDocument.Parse(await _member.GetStringAsync(_base)).RootElement;

        var row = Assert.Single(list.EnumerateArray());
        Assert.Equal("Existing", row.GetProperty("name").GetString());
        Assert.Equal("LINK_ARTIFACT", row.GetProperty("eventType").GetString());
        Assert.Equal("eval-set", row.GetProperty("collection").GetString());
        Assert.Equal("webhook", row.GetProperty("actionType").GetString());
        Assert.Equal("CI", row.GetProperty("actionName").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("queue").ValueKind);
        Assert.True(row.GetProperty("enabled").GetBoolean());
    }
}
