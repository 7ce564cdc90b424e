using Automations.Tests.TestInfrastructure;
using Microsoft.Playwright;

namespace Automations.Tests.E2E;

/// <summary>
/// Debian's Chromium driven by Playwright, against the app served by Kestrel on 127.0.0.1.
/// Where no Chromium exists the browser tests report themselves skipped, unless
/// AUTOMATIONS_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    /// <summary>Every browser test signs in from 127.0.0.1, so the suite would outgrow the sign-in limit of one address.</summary>
    public AppFactory App { get; } = new(new() { ["RateLimits:SignIn:PermitLimit"] = "1000" });

    public string BaseUrl { get; private set; } = "";

    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (Environment.GetEnvironmentVariable("AUTOMATIONS_REQUIRE_BROWSER") == "1")
            {
                throw new InvalidOperationException($"AUTOMATIONS_REQUIRE_BROWSER=1 but {ChromiumPath} is missing: apt-get install -y chromium");
            }

            SkipReason = $"{ChromiumPath} not found; install Debian's chromium to run browser tests";
            return;
        }

        BaseUrl = App.StartOnLoopback();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>
    /// A fresh browser context (own cookies) with a page on the app, or on <paramref name="baseUrl"/>; in the IANA
    /// <paramref name="timeZone"/> when given (the machine's otherwise).
    /// </summary>
    /// <summary>A page in a new context; with <paramref name="javaScript"/> off it shows a page's first HTML as it is, never live.</summary>
    public async Task<IPage> NewPageAsync(string? baseUrl = null, string? timeZone = null, bool javaScript = true)
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }

        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl ?? BaseUrl, TimezoneId = timeZone, JavaScriptEnabled = javaScript });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
