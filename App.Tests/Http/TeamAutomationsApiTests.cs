using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>The team's automations (<c>/api/v1/teams/{team}/automations</c>) and Slack integrations over HTTP.</summary>
public class TeamAutomationsApiTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private HttpClient _admin = null!;
    private HttpClient _member = null!;
    private HttpClient _outsider = null!;
    private FakeSlack _slack = null!;
    private int _webhookId;

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        _app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl });
        _app.Resolver.Map("hooks.example.com", "93.184.216.34");
        _app.Resolver.Map("localhost", "127.0.0.1");
        _team = await _app.CreateTeamAsync();
        _admin = await _app.ApiClientAsync(_team.Admin);
        _member = await _app.ApiClientAsync(_team.Member);
        _outsider = await _app.ApiClientAsync(_team.Outsider);
        (await _member.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/projects", new { name = "vision" })).EnsureSuccessStatusCode();
        (await _member.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/projects/vision/collections", new { name = "eval-set", type = "dataset" })).EnsureSuccessStatusCode();
        using var scope = _app.Services.CreateScope();
        _webhookId = (await scope.ServiceProvider.GetRequiredService<WebhookService>()
            .CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", "https://hooks.example.com/ci", null, null))).Id;
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        _member.Dispose();
        _outsider.Dispose();
        await _app.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private string Base => $"/api/v1/teams/{_team.Slug}/automations";

    private object Body(string name, string? collection = null) => new
    {
        name,
        eventType = "LINK_ARTIFACT",
        collection,
        actionType = "webhook",
        webhookId = _webhookId,
        payloadTemplate = PayloadPresets.Default.Template,
    };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Admins_create_team_wide_automations_members_list_every_scope_and_filter_it()
    {
        var created = await _admin.PostAsJsonAsync(Base, Body("Team deploy"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await JsonAsync(created)).GetProperty("summary").GetProperty("id").GetInt32();
        Assert.Equal($"{Base}/{id}", created.Headers.Location!.OriginalString);
        (await _member.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/projects/vision/automations", Body("Vision eval", "eval-set"))).EnsureSuccessStatusCode();

        var all = await JsonAsync(await _member.GetAsync(Base));
        Assert.Equal(["Team deploy", "Vision eval"], all.EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal([true, false], all.EnumerateArray().Select(a => a.GetProperty("teamScoped").GetBoolean()));
        var teamOnly = await JsonAsync(await _member.GetAsync($"{Base}?scope=team"));
        Assert.Equal("Team deploy", Assert.Single(teamOnly.EnumerateArray()).GetProperty("name").GetString());
        var byProject = await JsonAsync(await _member.GetAsync($"{Base}?project=vision&enabled=true&search=eval"));
        Assert.Equal("vision", Assert.Single(byProject.EnumerateArray()).GetProperty("project").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await _member.GetAsync($"{Base}?scope=galaxy")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _member.GetAsync($"{Base}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.PutAsJsonAsync($"{Base}/{id}/enabled", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"{Base}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _member.GetAsync($"{Base}/{id}")).StatusCode);
    }

    [Fact]
    public async Task Members_cannot_change_team_wide_automations_and_outsiders_see_nothing()
    {
        var id = (await JsonAsync(await _admin.PostAsJsonAsync(Base, Body("Team deploy")))).GetProperty("summary").GetProperty("id").GetInt32();

        Assert.Equal(HttpStatusCode.Forbidden, (await _member.PostAsJsonAsync(Base, Body("Mine"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _member.PutAsJsonAsync($"{Base}/{id}", Body("Renamed"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _member.PutAsJsonAsync($"{Base}/{id}/enabled", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _member.DeleteAsync($"{Base}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _outsider.GetAsync(Base)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _outsider.GetAsync($"{Base}/{id}")).StatusCode);

        var collection = await _admin.PostAsJsonAsync(Base, Body("With collection", "eval-set"));
        Assert.Equal(HttpStatusCode.BadRequest, collection.StatusCode);
        Assert.Contains("collection", await collection.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Slack_integrations_and_a_slack_automation_are_managed_over_the_api_without_the_credential_coming_back()
    {
        var integrations = $"/api/v1/teams/{_team.Slug}/slack-integrations";
        var created = await _admin.PostAsJsonAsync(integrations, new { name = "alerts", channel = "#ml", webhookUrl = _slack.WebhookUrl });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var text = await created.Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3cr3t", text);
        var id = (await JsonAsync(created)).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.Forbidden, (await _member.PostAsJsonAsync(integrations, new { name = "x", channel = "#x", botToken = "xoxb-1" })).StatusCode);
        Assert.DoesNotContain("s3cr3t", await _member.GetStringAsync(integrations));
        var test = await JsonAsync(await _admin.PostAsync($"{integrations}/{id}/test", null));
        Assert.True(test.GetProperty("ok").GetBoolean());
        Assert.Single(_slack.Posted);

        var automation = await _member.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/projects/vision/automations", new
        {
            name = "Tell Slack",
            eventType = "LINK_ARTIFACT",
            collection = "eval-set",
            actionType = "slack",
            action = new { integration = "alerts", title = "New ${artifact_collection_name}", text = "${artifact_version_string}" },
        });
        Assert.Equal(HttpStatusCode.Created, automation.StatusCode);
        var detail = await JsonAsync(automation);
        Assert.Equal(("slack", "Slack"), (detail.GetProperty("summary").GetProperty("actionType").GetString(), detail.GetProperty("summary").GetProperty("actionDisplay").GetString()));
        Assert.Equal("alerts", detail.GetProperty("action").GetProperty("integration").GetString());

        var bad = await _member.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/projects/vision/automations", new
        {
            name = "Bad", eventType = "LINK_ARTIFACT", collection = "eval-set", actionType = "slack", action = "not an object",
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"{integrations}/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_automations_list_stays_an_array_and_pages_through_link_headers_by_name()
    {
        var project = $"/api/v1/teams/{_team.Slug}/projects/vision/automations";
        foreach (var name in new[] { "c", "a", "e", "b", "d" })
        {
            (await _member.PostAsJsonAsync(project, Body(name, "eval-set"))).EnsureSuccessStatusCode();
        }

        var seen = new List<string>();
        var url = $"{project}?pageSize=2";
        while (true)
        {
            using var response = await _member.GetAsync(url);
            response.EnsureSuccessStatusCode();
            Assert.Equal("5", response.Headers.GetValues("X-Total-Count").Single());
            seen.AddRange((await JsonAsync(response)).EnumerateArray().Select(a => a.GetProperty("name").GetString()!));
            if (!response.Headers.TryGetValues("Link", out var links))
            {
                break;
            }

            var link = links.Single();
            Assert.EndsWith("; rel=\"next\"", link);
            url = link[1..link.IndexOf('>')];
            Assert.Contains("pageSize=2", url);
        }

        Assert.Equal(["a", "b", "c", "d", "e"], seen);
        Assert.Equal(5, (await JsonAsync(await _member.GetAsync(project))).GetArrayLength());
    }

    [Fact]
    public async Task Paged_lists_answer_a_cursor_and_refuse_one_they_did_not_give()
    {
        var events = $"/api/v1/teams/{_team.Slug}/projects/vision/events";
        for (var i = 0; i < 3; i++)
        {
            (await _member.PostAsJsonAsync($"/api/v1/teams/{_team.Slug}/projects/vision/collections/eval-set/versions", new { })).EnsureSuccessStatusCode();
        }

        var first = await JsonAsync(await _member.GetAsync($"{events}?pageSize=4"));
        Assert.Equal((6, false), (first.GetProperty("total").GetInt32(), first.GetProperty("totalCapped").GetBoolean()));
        var next = first.GetProperty("next").GetString();
        var second = await JsonAsync(await _member.GetAsync($"{events}?pageSize=4&after={next}"));
        Assert.Equal(2, second.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.True(second.GetProperty("items")[0].GetProperty("id").GetInt64() < first.GetProperty("items")[3].GetProperty("id").GetInt64());

        var refused = await _member.GetAsync($"{events}?after=not-a-cursor");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("after", await refused.Content.ReadAsStringAsync());
    }
}
