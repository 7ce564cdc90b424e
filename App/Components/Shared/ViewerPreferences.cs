using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Automations.Components.Shared;

/// <summary>
/// What the viewer's browser remembered in cookies: the theme they chose with the toggle (none: follow the system)
/// and their time zone. Read from the request, so the first HTML of a page is already in the right theme and zone;
/// the page checks both again once it is live.
/// </summary>
public sealed partial record ViewerPreferences(bool? DarkTheme, string? TimeZone)
{
    public const string ThemeCookie = "automations-theme";
    public const string TimeZoneCookie = "automations-tz";

    public static ViewerPreferences Of(HttpContext? context)
    {
        var zone = context?.Request.Cookies[TimeZoneCookie];
        return new(
            context?.Request.Cookies[ThemeCookie] switch
            {
                "dark" => true,
                "light" => false,
                _ => null,
            },
            IsZoneName(zone) ? zone : null);
    }

    /// <summary>An IANA name ("Europe/Berlin", "Etc/GMT+5"): anything else, from a cookie or a script, is not looked up.</summary>
    public static bool IsZoneName([NotNullWhen(true)] string? name) => name is { Length: > 0 and <= 64 } && ZoneName().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")]
    private static partial Regex ZoneName();
}
