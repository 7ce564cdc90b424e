using Automations.Components.Shared;
using Microsoft.AspNetCore.Http;

namespace Automations.Tests.Components;

/// <summary>The theme and zone cookies come from the browser: only the values the app writes are taken.</summary>
public class ViewerPreferencesTests
{
    [Theory]
    [InlineData("dark", true)]
    [InlineData("light", false)]
    [InlineData("DARK", null)]
    [InlineData("system", null)]
    [InlineData("", null)]
    public void The_theme_cookie_is_dark_light_or_nothing(string value, bool? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = $"{ViewerPreferences.ThemeCookie}={value}";
        Assert.Equal(expected, ViewerPreferences.Of(context).DarkTheme);
    }

    [Theory]
    [InlineData("Asia%2FKolkata", "Asia/Kolkata")]
    [InlineData("Etc%2FGMT%2B5", "Etc/GMT+5")]
    [InlineData("America%2FArgentina%2FBuenos_Aires", "America/Argentina/Buenos_Aires")]
    [InlineData("..%2F..%2F..%2Fetc%2Fpasswd", null)]
    [InlineData("%2Fetc%2Fpasswd", null)]
    [InlineData("Europe%2F..%2F..%2Fproc%2Fself", null)]
    [InlineData("Asia%2FKolkata%00", null)]
    [InlineData("<script>", null)]
    public void The_zone_cookie_is_taken_only_when_it_is_an_IANA_name(string cookie, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = $"{ViewerPreferences.TimeZoneCookie}={cookie}";
        Assert.Equal(expected, ViewerPreferences.Of(context).TimeZone);
    }

    [Fact]
    public void A_name_NET_does_not_know_shows_UTC_and_a_known_one_its_offset()
    {
        Assert.Equal(ViewerZone.Utc, ViewerZone.FromIana("Mars/Olympus_Mons"));
        Assert.Equal(ViewerZone.Utc, ViewerZone.FromIana(new string('A', 65)));
        Assert.Equal("UTC+5:30", ViewerZone.FromIana("Asia/Kolkata").Label(DateTimeOffset.UnixEpoch));
    }
}
