using System.Net;
using Automations.Features.Secrets;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>Pages and the Hangfire dashboard as a signed-in browser fetches them (cookie auth, server prerender).</summary>
public class PagesHttpTests : IAsyncLifetime
{
    private const string SecretValue = "page-secret-value-never-rendered";
    private AppFactory _app = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory();
        _team = await _app.CreateTeamAsync();
        using var scope = _app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<SecretService>().CreateAsync(_team.Admin, _team.Slug, "VISIBLE_NAME", SecretValue);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Outsider_gets_404_for_the_team_pages()
    {
        using var client = await _app.SignedInClientAsync(_team.Outsider.UserName);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/teams/{_team.Slug}/settings")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/teams/{_team.Slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/teams/no-such-team/settings")).StatusCode);
        foreach (var launch in new[] { "launch", "launch/jobs", "launch/agents", "launch/jobs/train", "launch/queues/gpu", "launch/runs/1" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/teams/{_team.Slug}/{launch}")).StatusCode);
        }
    }

    [Fact]
    public async Task Member_sees_the_launch_pages_without_create_buttons()
    {
        using var client = await _app.SignedInClientAsync(_team.Member.UserName);

        var html = await client.GetStringAsync($"/teams/{_team.Slug}/launch/jobs");

        Assert.Contains("Only team admins create jobs and queues", html);
        Assert.DoesNotContain("New job", html);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/teams/{_team.Slug}/launch/queues/no-such-queue")).StatusCode);
    }

    [Fact]
    public async Task Member_sees_the_secret_names_without_management_controls()
    {
        using var client = await _app.SignedInClientAsync(_team.Member.UserName);

        var html = await client.GetStringAsync($"/teams/{_team.Slug}/settings");

        Assert.Contains("VISIBLE_NAME", html);
        Assert.DoesNotContain("New secret", html);
        Assert.DoesNotContain(SecretValue, html);
    }

    [Fact]
    public async Task Admin_sees_management_controls_but_never_a_secret_value()
    {
        using var client = await _app.SignedInClientAsync(_team.Admin.UserName);

        var html = await client.GetStringAsync($"/teams/{_team.Slug}/settings");

        Assert.Contains("New secret", html);
        Assert.Contains("VISIBLE_NAME", html);
        Assert.DoesNotContain(SecretValue, html);
    }

    [Fact]
    public async Task Hangfire_dashboard_is_for_instance_administrators_only()
    {
        var (first, _) = await _app.CreateUserAsync("root");
        await _app.Services.MakeInstanceAdminAsync(first.UserId);

        using var anonymous = _app.CreateClient(new() { AllowAutoRedirect = false });
        using var member = await _app.SignedInClientAsync(_team.Member.UserName);
        using var root = await _app.SignedInClientAsync(first.UserName);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/hangfire")).StatusCode);
    }
}
