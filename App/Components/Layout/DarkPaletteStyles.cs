using System.Text;
using MudBlazor;

namespace Automations.Components.Layout;

/// <summary>
/// MudThemeProvider's dark palette, applied only while the browser prefers a dark colour scheme. The provider writes
/// its variables inside one <c>:root{…}</c> rule; this closes that rule empty and opens a media query around its own.
/// </summary>
public sealed class DarkPaletteStyles : MudThemeProvider
{
    protected override void GenerateTheme(StringBuilder theme)
    {
        theme.Append("}@media (prefers-color-scheme: dark){:root{");
        base.GenerateTheme(theme);
        theme.Append('}');
    }
}
