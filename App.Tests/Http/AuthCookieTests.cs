using System.Net;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Automations.Tests.Http;

public class AuthCookieTests : IAsyncLifetime
{
    private const string AuthCookie = ".AspNetCore.Identity.Application";

    private readonly AppFactory _app = new(new() { ["Hangfire:Server:Enabled"] = "false" });
    private string _email = "";

    public async ValueTask InitializeAsync() => _email = (await _app.CreateUserAsync("cookie")).Actor.UserName;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task A_copied_cookie_stops_working_when_its_owner_signs_out()
    {
        var jar = new CookieContainer();
        using var browser = _app.CreateDefaultClient(new CookieContainerHandler(jar));
        await AppFactory.PostLoginAsync(browser, _email, "Test-password-1!");
        var copy = jar.GetCookies(browser.BaseAddress!)[AuthCookie]!;
        using var thief = _app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        thief.DefaultRequestHeaders.Add("Cookie", $"{copy.Name}={copy.Value}");
        Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync("/settings/api-keys")).StatusCode);

        var token = AppFactory.AntiforgeryToken(await browser.GetStringAsync("/settings/api-keys"));
        var logout = await browser.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["ReturnUrl"] = "",
        }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);

        var after = await thief.GetAsync("/settings/api-keys");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/Account/Login", after.Headers.Location!.ToString());
    }

    [Theory]
    [InlineData("https://localhost", true)]
    [InlineData("http://localhost", false)]
    public async Task The_sign_in_cookie_is_http_only_same_site_lax_and_secure_over_https(string origin, bool secure)
    {
        using var browser = _app.CreateDefaultClient(new Uri(origin), new CookieContainerHandler());

        var response = await AppFactory.PostLoginAsync(browser, _email, "Test-password-1!");

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(AuthCookie + "=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("; httponly", cookie);
        Assert.Contains("; samesite=lax", cookie);
        Assert.Equal(secure, cookie.Contains("; secure"));
    }
}
