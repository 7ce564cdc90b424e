using Automations.Features.Audit;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

/// <summary>The account pages are static forms drawn with MudBlazor's look; they must still sign in, register and change passwords.</summary>
[Collection(BrowserCollection.Name)]
public class AccountBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    [Fact]
    public async Task Sign_in_page_is_drawn_with_MudBlazor_and_loads_no_bootstrap()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync("/Account/Login");

        await Expect(page.Locator("[data-testid=account-card].mud-paper")).ToBeVisibleAsync();
        await Expect(page.Locator(".mud-input-control input.mud-input-root#Input\\.Email")).ToBeVisibleAsync();
        await Expect(page.Locator(".mud-input-control input.mud-input-root#Input\\.Password")).ToBeVisibleAsync();
        await Expect(page.Locator("button.mud-button-root[type=submit]:has-text('Log in')")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("link[href*='bootstrap']").CountAsync());
        var text = await page.InnerTextAsync("body");
        Assert.DoesNotContain("article", text);
        Assert.DoesNotContain("no external authentication services", text);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_in_page_follows_the_browsers_dark_scheme()
    {
        var page = await Browser.NewPageAsync();
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.GotoAsync("/Account/Login");
        var dark = await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");

        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        var light = await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");

        Assert.Equal("rgb(255, 255, 255)", light);
        Assert.NotEqual(light, dark);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_theme_chosen_with_the_toggle_holds_on_the_next_pages_and_choosing_the_systems_again_follows_the_system()
    {
        var page = await SignedInAsync(Team.Member);
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}");
        Assert.Equal("rgb(255, 255, 255)", await BackgroundAsync(page));

        await page.ClickAsync("[data-testid=theme-toggle]");
        await Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Switch to the light theme");
        var dark = await BackgroundAsync(page);
        Assert.NotEqual("rgb(255, 255, 255)", dark);
        // The cookie is written by a script call after the page has redrawn: wait for it before copying it.
        await WaitForThemeCookieAsync(page, present: true);

        // Under a light system: a page's first HTML (no script runs), the live page and a static account page are all dark.
        var firstHtml = await Browser.NewPageAsync(javaScript: false);
        await firstHtml.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await firstHtml.Context.AddCookiesAsync((await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        await firstHtml.GotoAsync($"/teams/{Team.Slug}");
        Assert.Equal(dark, await BackgroundAsync(firstHtml));
        await firstHtml.Context.CloseAsync();
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}");
        Assert.Equal(dark, await BackgroundAsync(page));
        await page.GotoAsync("/Account/Manage");
        Assert.Equal(dark, await BackgroundAsync(page));

        // Choosing light, which the system shows anyway, forgets the choice: the pages follow the system again.
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}");
        await page.ClickAsync("[data-testid=theme-toggle]");
        await Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Switch to the dark theme");
        await WaitForThemeCookieAsync(page, present: false);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "automations-theme");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.GotoAsync("/Account/Manage");
        Assert.Equal(dark, await BackgroundAsync(page));
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        Assert.Equal("rgb(255, 255, 255)", await BackgroundAsync(page));
    }

    [Fact]
    public async Task The_static_pages_have_a_toggle_too_and_the_live_pages_keep_its_choice()
    {
        var page = await Browser.NewPageAsync();
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.GotoAsync("/Account/Login");
        var dark = await BackgroundAsync(page);

        // Following a dark system, the one visible button offers light.
        var toggle = page.Locator("[data-testid=theme-toggle]:visible");
        await Expect(toggle).ToHaveCountAsync(1);
        await Expect(toggle).ToHaveAttributeAsync("aria-label", "Switch to the light theme");
        await toggle.ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/Account/Login"));
        Assert.Equal("rgb(255, 255, 255)", await BackgroundAsync(page));
        Assert.Equal("light", (await page.Context.CookiesAsync()).Single(c => c.Name == "automations-theme").Value);

        await Pages.SignInAsync(page, Team.Member.UserName);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}");
        Assert.Equal("rgb(255, 255, 255)", await BackgroundAsync(page));

        await page.GotoAsync("/Account/Manage");
        await page.ClickAsync("[data-testid=theme-toggle]:visible");
        await page.WaitForURLAsync(url => url.Contains("/Account/Manage"));
        Assert.Equal(dark, await BackgroundAsync(page));
        await page.Context.CloseAsync();
    }

    /// <summary>The toggle writes its cookie by a script call after the page has redrawn: up to 5 s for it to be (or be gone).</summary>
    private static async Task WaitForThemeCookieAsync(IPage page, bool present)
    {
        for (var wait = 0; wait < 50 && (await page.Context.CookiesAsync()).Any(c => c.Name == "automations-theme") != present; wait++)
        {
            await Task.Delay(100);
        }
    }

    private static Task<string> BackgroundAsync(IPage page) => page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");

    [Fact]
    public async Task Closing_an_account_is_refused_to_a_teams_only_admin_and_a_member_leaves_on_the_teams_record()
    {
        var admin = await SignedInAsync(Team.Admin);
        await admin.GotoAsync("/Account/Manage/DeletePersonalData");
        await admin.FillAsync("#Input\\.Password", Pages.Password);
        await admin.ClickAsync("button[type=submit]:has-text('Delete data and close my account')");
        await Expect(admin.Locator("[data-testid=status-message]")).ToContainTextAsync($"only admin of team '{Team.Slug}'");

        var member = await SignedInAsync(Team.Member);
        await member.GotoAsync("/Account/Manage/DeletePersonalData");
        await member.FillAsync("#Input\\.Password", Pages.Password);
        await member.ClickAsync("button[type=submit]:has-text('Delete data and close my account')");
        // Signed out: the page sends the visitor to sign in.
        await member.WaitForURLAsync(url => url.Contains("/Account/Login"));
        await Expect(member.Locator("[data-testid=signed-in-user]")).ToHaveCountAsync(0);

        using var scope = App.Services.CreateScope();
        var log = await scope.ServiceProvider.GetRequiredService<AuditService>().ListAsync(Team.Admin, Team.Slug, new AuditFilter(Action: AuditActions.MemberRemoved));
        var entry = Assert.Single(log.Items);
        Assert.Equal((Team.Member.UserName, "session"), (entry.ActorName, entry.Via));
        Assert.NotNull(entry.IpAddress);
    }

    [Fact]
    public async Task A_user_turns_on_an_authenticator_and_then_signs_in_with_its_code_and_a_wrong_code_is_refused()
    {
        var user = (await App.CreateUserAsync($"otp{Guid.NewGuid():N}"[..12])).Actor;
        var page = await SignedInAsync(user);
        await page.GotoAsync("/Account/Manage/EnableAuthenticator");
        var key = await page.Locator("[data-testid=shared-key]").InnerTextAsync();
        await page.FillAsync("#Input\\.Code", Totp.Code(key, DateTimeOffset.UtcNow));
        await page.ClickAsync("button[type=submit]:has-text('Verify')");
        await Expect(page.Locator(".recovery-code")).ToHaveCountAsync(10);
        // Still signed in after turning it on (the security stamp changes; the sign-in is refreshed with it).
        await Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(user.UserName);

        var next = await Browser.NewPageAsync();
        await next.GotoAsync("/Account/Login");
        await next.FillAsync("#Input\\.Email", user.UserName);
        await next.FillAsync("#Input\\.Password", Pages.Password);
        await next.ClickAsync("button[type=submit]:has-text('Log in')");
        await next.WaitForURLAsync(url => url.Contains("/Account/LoginWith2fa"));
        var wrong = (int.Parse(Totp.Code(key, DateTimeOffset.UtcNow), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000;
        await next.FillAsync("#Input\\.TwoFactorCode", wrong.ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
        await next.ClickAsync("button[type=submit]:has-text('Log in')");
        await Expect(next.Locator(".mud-alert")).ToContainTextAsync("Invalid authenticator code");

        await next.FillAsync("#Input\\.TwoFactorCode", Totp.Code(key, DateTimeOffset.UtcNow));
        await next.ClickAsync("button[type=submit]:has-text('Log in')");
        await next.WaitForURLAsync(url => !url.Contains("/Account/LoginWith2fa"));
        await Expect(next.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(user.UserName);
        await next.Context.CloseAsync();
    }

    [Fact]
    public async Task A_user_adds_a_passkey_and_signs_in_with_it_alone()
    {
        var user = (await App.CreateUserAsync($"pk{Guid.NewGuid():N}"[..12])).Actor;
        // WebAuthn refuses an IP address as the relying party: the page talks to the same server as localhost.
        var page = await Browser.NewPageAsync(baseUrl: Browser.BaseUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });

        await Pages.SignInAsync(page, user.UserName);
        await page.GotoAsync("/Account/Manage/Passkeys");
        await page.ClickAsync("button:has-text('Add a new passkey')");
        await page.WaitForURLAsync(url => url.Contains("/Account/Manage/RenamePasskey/"));
        await page.GotoAsync("/Account/Manage/Passkeys");
        await Expect(page.Locator("button:has-text('Rename')")).ToHaveCountAsync(1);

        await page.ClickAsync("button.logout-button");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Manage"));
        await Expect(page.Locator("a.app-link:has-text('Log in')")).ToBeVisibleAsync();
        // The sign-in page offers the passkey as the browser's autofill does (conditional mediation); the virtual
        // authenticator picks it as a user would, and no password is typed.
        await page.GotoAsync("/Account/Login");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        await Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(user.UserName);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_password_shows_the_error_in_an_alert_and_the_right_one_signs_in()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#Input\\.Email", Team.Member.UserName);
        await page.FillAsync("#Input\\.Password", "not-the-password");
        await page.ClickAsync("button[type=submit]:has-text('Log in')");
        await Expect(page.Locator(".mud-alert").Filter(new() { HasText = "Invalid login attempt" })).ToBeVisibleAsync();
        Assert.Contains("/Account/Login", page.Url);

        await page.FillAsync("#Input\\.Password", Pages.Password);
        await page.ClickAsync("button[type=submit]:has-text('Log in')");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        await Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(Team.Member.UserName);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Registration_checks_the_confirmation_then_creates_the_account_and_signs_in()
    {
        var email = $"new-{Guid.NewGuid():N}"[..16] + "@example.com";
        var page = await Browser.NewPageAsync();
        await page.GotoAsync("/Account/Register");
        await page.FillAsync("#Input\\.Email", email);
        await page.FillAsync("#Input\\.Password", Pages.Password);
        await page.FillAsync("#Input\\.ConfirmPassword", "something-else-1!");
        await page.ClickAsync("button[type=submit]:has-text('Register')");
        await Expect(page.Locator(".mud-input-control.mud-input-error:has(#Input\\.ConfirmPassword)")).ToContainTextAsync("do not match");

        await page.FillAsync("#Input\\.Password", Pages.Password);
        await page.FillAsync("#Input\\.ConfirmPassword", Pages.Password);
        await page.ClickAsync("button[type=submit]:has-text('Register')");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Register"));
        await Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(email);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Manage_change_password_works_and_the_new_password_signs_in()
    {
        var (user, _) = await App.CreateUserAsync($"pw-{Guid.NewGuid():N}"[..12]);
        var page = await SignedInAsync(user);
        await page.GotoAsync("/Account/Manage");
        await page.ClickAsync(".mud-navmenu a:has-text('Password')");
        await page.WaitForURLAsync(url => url.EndsWith("/Account/Manage/ChangePassword"));

        const string newPassword = "Changed-password-2!";
        await page.FillAsync("#Input\\.OldPassword", Pages.Password);
        await page.FillAsync("#Input\\.NewPassword", newPassword);
        await page.FillAsync("#Input\\.ConfirmPassword", newPassword);
        await page.ClickAsync("button[type=submit]:has-text('Update password')");
        await Expect(page.Locator(".mud-alert").Filter(new() { HasText = "Your password has been changed" })).ToBeVisibleAsync();

        var again = await Browser.NewPageAsync();
        await again.GotoAsync("/Account/Login");
        await again.FillAsync("#Input\\.Email", user.UserName);
        await again.FillAsync("#Input\\.Password", newPassword);
        await again.ClickAsync("button[type=submit]:has-text('Log in')");
        await again.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        await again.Context.CloseAsync();
    }

    [Fact]
    public async Task A_member_opening_an_admin_only_page_sees_Forbidden_with_a_403()
    {
        var page = await SignedInAsync(Team.Member);

        // Team-wide automations act on every project: admins only.
        var wizard = await page.GotoAsync($"/teams/{Team.Slug}/automations/new");
        Assert.Equal(403, wizard!.Status);
        await Pages.WaitForCircuitAsync(page);
        await Expect(page.Locator("[data-testid=forbidden]")).ToHaveTextAsync("Forbidden");
        await Expect(page.Locator("[data-testid=forbidden-reason]")).ToContainTextAsync("Only team admins");

        // The refusal belongs to that page: the next one the live circuit opens shows again.
        await page.ClickAsync(".mud-nav-link:has-text('Overview')");
        await page.WaitForURLAsync(url => url.EndsWith($"/teams/{Team.Slug}"));
        await Expect(page.Locator("[data-testid=forbidden]")).ToHaveCountAsync(0);

        // The background-jobs dashboard: instance administrators only.
        var jobs = await page.GotoAsync("/hangfire");
        Assert.Equal(403, jobs!.Status);
        await Expect(page.Locator("[data-testid=forbidden]")).ToHaveTextAsync("Forbidden");
        Assert.DoesNotContain("Not found", await page.InnerTextAsync("body"), StringComparison.OrdinalIgnoreCase);

        var denied = await page.GotoAsync("/Account/AccessDenied");
        Assert.Equal(403, denied!.Status);
        await Expect(page.Locator("[data-testid=forbidden]")).ToHaveTextAsync("Forbidden");
    }

    [Fact]
    public async Task Another_teams_page_stays_not_found()
    {
        var page = await SignedInAsync(Team.Outsider);
        var response = await page.GotoAsync($"/teams/{Team.Slug}/automations/new");

        Assert.Equal(404, response!.Status);
        Assert.Equal(0, await page.Locator("[data-testid=forbidden]").CountAsync());
    }
}
