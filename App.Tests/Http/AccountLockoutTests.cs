using System.Net;
using Automations.Data;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

public class AccountLockoutTests
{
    [Fact]
    public async Task After_the_allowed_wrong_passwords_even_the_right_password_is_refused_for_the_lockout_duration()
    {
        await using var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["Security:Lockout:MaxFailedAttempts"] = "3",
            ["Security:Lockout:Duration"] = "00:07:00",
        });
        var (actor, password) = await app.CreateUserAsync("guessed");
        using var client = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        for (var attempt = 1; attempt < 3; attempt++)
        {
            var wrong = await AppFactory.PostLoginAsync(client, actor.UserName, "Wrong-password-1!");
            Assert.Contains("Invalid login attempt", await wrong.Content.ReadAsStringAsync());
        }

        var third = await AppFactory.PostLoginAsync(client, actor.UserName, "Wrong-password-1!");
        Assert.Equal(HttpStatusCode.Redirect, third.StatusCode);
        Assert.EndsWith("/Account/Lockout", third.Headers.Location!.ToString());

        var right = await AppFactory.PostLoginAsync(client, actor.UserName, password);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.EndsWith("/Account/Lockout", right.Headers.Location!.ToString());
        var page = await client.GetAsync("/settings/api-keys");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/Account/Login", page.Headers.Location!.ToString());

        using var scope = app.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByIdAsync(actor.UserId);
        var remaining = user!.LockoutEnd!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(remaining, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(7));
    }

    [Fact]
    public async Task A_right_password_before_the_limit_signs_in_and_clears_the_failures()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["Security:Lockout:MaxFailedAttempts"] = "3" });
        var (actor, password) = await app.CreateUserAsync("forgetful");
        using var client = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        await AppFactory.PostLoginAsync(client, actor.UserName, "Wrong-password-1!");
        await AppFactory.PostLoginAsync(client, actor.UserName, "Wrong-password-1!");
        var right = await AppFactory.PostLoginAsync(client, actor.UserName, password);

        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.DoesNotContain("Lockout", right.Headers.Location!.ToString());
        using var scope = app.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByIdAsync(actor.UserId);
        Assert.Equal(0, user!.AccessFailedCount);
    }
}
