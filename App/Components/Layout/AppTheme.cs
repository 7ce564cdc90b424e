using MudBlazor;

namespace Automations.Components.Layout;

/// <summary>The one theme of the app: the live layout and the static account pages draw from it.</summary>
public static class AppTheme
{
    public static readonly MudTheme Theme = new()
    {
        Typography = new Typography { Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Helvetica", "Arial", "sans-serif"] } },
    };
}
