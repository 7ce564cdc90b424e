using System.Security.Claims;
using Automations.Infrastructure.Security;
using Microsoft.AspNetCore.Components.Authorization;

namespace Automations.Infrastructure;

/// <summary>Who is calling a service. Every service method takes one and checks the team role itself.</summary>
public sealed record Actor(string UserId, string UserName, bool IsInstanceAdmin = false)
{
    public const string InstanceAdminClaim = "automations:instance_admin";

    /// <summary>The limits of the API key the caller came with; null when nothing narrows the user's own access.</summary>
    public KeyScope? Key { get; init; }

    /// <summary>When the API key the caller came with expires; null for a key that does not, and for a session.</summary>
    public DateTimeOffset? KeyExpiresAt { get; init; }

    public const string KeyExpiresClaim = "automations:key_expires";

    /// <summary>How the caller signed in (<see cref="ActorOrigin.Via"/>), set by the authentication handler that made the principal.</summary>
    public const string ViaClaim = "automations:via";

    /// <summary>Where the call came from, for the audit log; null for callers that are no request (background jobs, tests).</summary>
    public ActorOrigin? Origin { get; init; }

    /// <summary>
    /// Lets API endpoints take the caller as a parameter (<c>(string team, Actor actor, …) =&gt;</c>). Their group requires an
    /// authenticated caller, so it is always there; an endpoint outside such a group answers 400 without one.
    /// </summary>
    public static ValueTask<Actor?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(FromPrincipal(context.User) is { } actor ? actor with { Origin = ActorOrigin.Of(context, actor.Origin?.Via ?? ActorOrigin.Session) } : null);

    public static Actor? FromPrincipal(ClaimsPrincipal principal)
    {
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (principal.Identity?.IsAuthenticated != true || string.IsNullOrEmpty(id))
        {
            return null;
        }

        return new Actor(id, principal.Identity.Name ?? id, principal.HasClaim(InstanceAdminClaim, "true"))
        {
            Key = KeyScope.FromPrincipal(principal),
            Origin = principal.FindFirstValue(ViaClaim) is { } via ? new ActorOrigin(null, null, via) : null,
            KeyExpiresAt = DateTimeOffset.TryParse(principal.FindFirstValue(KeyExpiresClaim), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.RoundtripKind, out var expires) ? expires : null,
        };
    }
}

/// <summary>
/// Where a change came from, as the audit log records it: the client's address and user agent, and how the caller
/// signed in ("session" for the web UI, "api key ak_…" for a key, by its public prefix; never the key itself).
/// </summary>
public sealed record ActorOrigin(string? IpAddress, string? UserAgent, string? Via)
{
    public const string Session = "session";

    public static string ApiKey(string prefix) => $"api key {prefix}";

    /// <summary>The client of <paramref name="context"/> (its address as forwarded-headers configuration says), signed in by <paramref name="via"/>.</summary>
    public static ActorOrigin Of(HttpContext context, string? via) =>
        new(ClientAddress.Exact(context), context.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null, via);
}

/// <summary>
/// The web UI's client, taken from the HTTP request that opened the page (App.razor hands it to Routes, which sets it
/// here in the circuit's scope): a circuit has no HTTP request of its own afterwards.
/// </summary>
public sealed class CircuitOrigin
{
    public ActorOrigin? Origin { get; set; }
}

/// <summary>Gives components the signed-in user as an <see cref="Actor"/>, with where the page was opened from.</summary>
public sealed class CurrentActor(AuthenticationStateProvider authenticationStateProvider, CircuitOrigin circuit)
{
    public async Task<Actor> GetAsync()
    {
        var state = await authenticationStateProvider.GetAuthenticationStateAsync();
        var actor = Actor.FromPrincipal(state.User) ?? throw new NotFoundException("Sign in first.");
        return actor with { Origin = circuit.Origin ?? new ActorOrigin(null, null, ActorOrigin.Session) };
    }
}
