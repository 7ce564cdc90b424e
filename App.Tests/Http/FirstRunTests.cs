using System.Net;
using System.Text.RegularExpressions;
using Automations.Data;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

public partial class FirstRunTests
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();

    private static async Task<HttpResponseMessage> RegisterAsync(HttpClient client, string email, string? team)
    {
        var form = await client.GetStringAsync("/Account/Register");
        var fields = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(Antiforgery().Match(form).Groups[1].Value),
            ["_handler"] = "register",
            ["Input.Email"] = email,
            ["Input.Password"] = "First-run-password-1!",
            ["Input.ConfirmPassword"] = "First-run-password-1!",
        };
        if (team is not null)
        {
            fields["Input.TeamName"] = team;
        }

        return await client.PostAsync("/Account/Register", new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task The_first_account_becomes_instance_admin_and_admin_of_the_team_it_names()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        using var first = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        Assert.Contains("Team name", await first.GetStringAsync("/Account/Register"));
        var response = await RegisterAsync(first, "founder@example.com", "ML Platform");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);

        using var scope = app.Services.CreateScope();
        var founder = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync("founder@example.com");
        Assert.True(founder!.IsInstanceAdmin);
        var teams = await scope.ServiceProvider.GetRequiredService<TeamService>().ListMineAsync(new Actor(founder.Id, founder.UserName!));
        Assert.Equal(("ml-platform", TeamRole.Admin), (Assert.Single(teams).Slug, teams[0].Role));
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/hangfire")).StatusCode);

        // Later accounts are ordinary users with no team, and are not asked for one.
        using var second = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        Assert.DoesNotContain("Team name", await second.GetStringAsync("/Account/Register"));
        Assert.Equal(HttpStatusCode.Redirect, (await RegisterAsync(second, "later@example.com", null)).StatusCode);
        var later = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync("later@example.com");
        Assert.False(later!.IsInstanceAdmin);
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<TeamService>().ListMineAsync(new Actor(later.Id, later.UserName!)));
        Assert.Equal(HttpStatusCode.Forbidden, (await second.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task The_first_account_must_name_a_team()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        using var client = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        var response = await RegisterAsync(client, "founder@example.com", "");

        Assert.Contains("Name the first team", await response.Content.ReadAsStringAsync());
        using var scope = app.Services.CreateScope();
        Assert.Null(await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync("founder@example.com"));
    }
}
