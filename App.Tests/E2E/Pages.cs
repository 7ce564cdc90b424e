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

    /// <summary>Opens the select labelled <paramref name="label"/> and picks the item that reads <paramref name="item"/>.</summary>
    public static async Task ChooseAsync(IPage page, string label, string item)
    {
        var select = page.Locator($".mud-select:has(label:text-is('{label}'))").First;
        await select.ClickAsync();
        await page.Locator($".mud-popover-open .mud-list-item:has-text('{item}')").First.ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
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
