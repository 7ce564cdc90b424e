using Microsoft.Playwright;

namespace Automations.Tests.E2E;

/// <summary>What every browser test does: sign in through the real form, wait for the live circuit.</summary>
public static class Pages
{
    public const string Password = "Test-password-1!";

    public static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#Input\\.Email", email);
        await page.FillAsync("#Input\\.Password", Password);
        await page.ClickAsync("button[type=submit]:has-text('Log in')");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));
    }

    /// <summary>Interactive controls respond only once the circuit is up; MainLayout marks that moment.</summary>
    public static async Task WaitForCircuitAsync(IPage page)
    {
        try
        {
            await page.WaitForSelectorAsync("#circuit-ready", new() { State = WaitForSelectorState.Attached });
        }
        catch (TimeoutException)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "e2e-circuit-timeout.png") });
            throw;
        }
    }

    public static async Task GotoLiveAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await WaitForCircuitAsync(page);
    }
}
