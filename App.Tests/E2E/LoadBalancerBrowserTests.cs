using System.Diagnostics;
using System.Text.RegularExpressions;
using Automations.Data;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.E2E;

/// <summary>
/// The README's load balancer (Front/, YARP with cookie affinity and /readyz health checks) in front of two instances on
/// PostgreSQL, driven by Chromium: the live page works through it, and when the instance holding the browser dies, the
/// browser lands on the other one still signed in.
/// </summary>
[Collection(BrowserCollection.Name)]
public partial class LoadBalancerBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task Through_the_example_load_balancer_a_browser_stays_signed_in_when_its_instance_is_killed()
    {
        var page = await browser.NewPageAsync("about:blank");
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Default"] = connectionString,
            ["ForwardedHeaders:Enabled"] = "true",
            ["RateLimits:SignIn:PermitLimit"] = "1000",
        };
        await using var app1 = new AppProcess("app1", settings);
        await using var app2 = new AppProcess("app2", settings);
        await Task.WhenAll(app1.StartAsync(), app2.StartAsync());
        await using (var services = await TestServices.BesideAsync(connectionString))
        {
            var user = new ApplicationUser { UserName = "balanced@example.com", Email = "balanced@example.com", EmailConfirmed = true };
            Assert.True((await services.Get<UserManager<ApplicationUser>>().CreateAsync(user, Pages.Password)).Succeeded);
        }

        await using var front = AppProcess.Front(new()
        {
            ["ReverseProxy:Clusters:automations:Destinations:app1:Address"] = app1.Url + "/",
            ["ReverseProxy:Clusters:automations:Destinations:app2:Address"] = app2.Url + "/",
            ["ReverseProxy:Clusters:automations:HealthCheck:Active:Interval"] = "00:00:01",
            ["Logging:LogLevel:Yarp.ReverseProxy.Forwarder"] = "Information",
        });
        await front.StartAsync();
        var frontUrl = front.Url;
        await page.GotoAsync(frontUrl + "/Account/Login");
        await page.FillAsync("#Input\\.Email", "balanced@example.com");
        await page.FillAsync("#Input\\.Password", Pages.Password);
        await page.ClickAsync("button[type=submit]:has-text('Log in')");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        // The interactive circuit (a WebSocket) runs through the proxy, on the instance the affinity cookie names.
        await Pages.GotoLiveAsync(page, frontUrl + "/");
        Assert.Contains(await page.Context.CookiesAsync(), c => c.Name == ".Automations.Instance");
        var holder = LastDestination(front) == app1.Port ? app1 : app2;
        var other = holder == app1 ? app2 : app1;

        holder.Kill();
        // Until the front's health check (every second here) notices, requests to the dead instance answer 502; then the
        // affinity is redistributed to the live one. A user who reloads lands there.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            string status;
            try
            {
                var response = await page.GotoAsync(frontUrl + "/");
                if (response is { Status: 200 })
                {
                    break;
                }

                status = response?.Status.ToString() ?? "nothing";
            }
            catch (Microsoft.Playwright.PlaywrightException ex)
            {
                // A 502 with an empty body is an error page to Chromium.
                status = ex.Message.Split('\n')[0];
            }

            Assert.True(DateTime.UtcNow < deadline, $"the front kept answering {status} after the kill:\n{front.Output}");
            await Task.Delay(500);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"the front moved the browser to the live instance {stopwatch.ElapsedMilliseconds} ms after the kill");
        await Pages.WaitForCircuitAsync(page);
        Assert.Contains("balanced@example.com", await page.ContentAsync());
        Assert.DoesNotContain("/Account/Login", page.Url);
        Assert.Equal(other.Port, LastDestination(front));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "e2e-load-balancer.png") });
    }

    /// <summary>The instance the front forwarded to last (it logs each destination it proxies to).</summary>
    private static int LastDestination(AppProcess front)
    {
        var match = ProxyingTo().Matches(front.Output).LastOrDefault();
        Assert.True(match is not null, "the front logged no proxied request:\n" + front.Output);
        return int.Parse(match.Groups[1].Value);
    }

    [GeneratedRegex(@"Proxying to http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex ProxyingTo();
}
