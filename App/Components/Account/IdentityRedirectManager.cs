using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Automations.Data;

namespace Automations.Components.Account;

internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public const string StatusCookieName = "Identity.StatusMessage";

    private static readonly CookieBuilder StatusCookieBuilder = new()
    {
        SameSite = SameSiteMode.Strict,
        HttpOnly = true,
        IsEssential = true,
        MaxAge = TimeSpan.FromSeconds(5),
    };

    /// <summary>Navigates to <paramref name="uri"/> if it is a page of this app, otherwise home: return URLs arrive in links anyone can craft.</summary>
    public void RedirectTo(string? uri) => navigationManager.NavigateTo(ToLocalPath(uri, navigationManager.BaseUri) ?? "");

    /// <summary>
    /// <paramref name="uri"/> as a path relative to <paramref name="baseUri"/> ("teams/acme?x=1", "" for home) when it names
    /// a page of this app: base-relative ("Account/Lockout"), root-relative ("/teams/acme") or absolute under the base
    /// (the template's RedirectToLogin sends the full address). Anything else is null: other origins, protocol-relative
    /// ("//host"), backslash forms that browsers read as slashes ("/\host"), schemes ("javascript:"), and control
    /// characters or spaces, which browsers strip (so "/\t/host" would become "//host") or which break the Location header.
    /// </summary>
    internal static string? ToLocalPath(string? uri, string baseUri)
    {
        var path = uri ?? "";
        var basePath = new Uri(baseUri).AbsolutePath;
        if (path.StartsWith(baseUri, StringComparison.OrdinalIgnoreCase))
        {
            path = path[baseUri.Length..];
        }
        else if (path.StartsWith(basePath, StringComparison.Ordinal))
        {
            path = path[basePath.Length..];
        }
        else if (path.StartsWith('/'))
        {
            return null;
        }

        if (path.StartsWith('/') || path.Contains('\\') || path.Any(c => c <= ' ' || c == '\u007f'))
        {
            return null;
        }

        // A colon before the first '/', '?' or '#' makes it a scheme, not a path (RFC 3986 §4.2).
        var firstSegment = path.AsSpan(0, path.IndexOfAny(['/', '?', '#']) is var end and >= 0 ? end : path.Length);
        return firstSegment.Contains(':') ? null : path;
    }

    public void RedirectTo(string uri, Dictionary<string, object?> queryParameters)
    {
        var uriWithoutQuery = navigationManager.ToAbsoluteUri(uri).GetLeftPart(UriPartial.Path);
        var newUri = navigationManager.GetUriWithQueryParameters(uriWithoutQuery, queryParameters);
        RedirectTo(newUri);
    }

    public void RedirectToWithStatus(string uri, string message, HttpContext context)
    {
        context.Response.Cookies.Append(StatusCookieName, message, StatusCookieBuilder.Build(context));
        RedirectTo(uri);
    }

    private string CurrentPath => navigationManager.ToAbsoluteUri(navigationManager.Uri).GetLeftPart(UriPartial.Path);

    public void RedirectToCurrentPage() => RedirectTo(CurrentPath);

    public void RedirectToCurrentPageWithStatus(string message, HttpContext context)
        => RedirectToWithStatus(CurrentPath, message, context);

    public void RedirectToInvalidUser(UserManager<ApplicationUser> userManager, HttpContext context)
        => RedirectToWithStatus("Account/InvalidUser", $"Error: Unable to load user with ID '{userManager.GetUserId(context.User)}'.", context);
}
