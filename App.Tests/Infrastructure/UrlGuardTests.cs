using Automations.Infrastructure.Outbound;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Automations.Tests.Infrastructure;

public class UrlGuardTests
{
    private static UrlGuard Guard(FakeHostResolver resolver, OutboundOptions? options = null) =>
        new(resolver, new StaticOptions(options ?? new OutboundOptions()));

    /// <summary>Names every hostile case below may point at; real DNS is never asked.</summary>
    private static FakeHostResolver HostileDns() => new FakeHostResolver()
        .Map("loopback.example.com", "127.0.0.1")
        .Map("loopback6.example.com", "::1")
        .Map("ten.example.com", "10.1.2.3")
        .Map("oneseventwo.example.com", "172.20.0.5")
        .Map("oneninetwo.example.com", "192.168.1.10")
        .Map("metadata.example.com", "169.254.169.254")
        .Map("linklocal.example.com", "169.254.10.10")
        .Map("cgnat.example.com", "100.64.0.1")
        .Map("multicast.example.com", "224.0.0.251")
        .Map("reserved.example.com", "240.0.0.1")
        .Map("broadcast.example.com", "255.255.255.255")
        .Map("zero.example.com", "0.0.0.0")
        .Map("ula.example.com", "fd12:3456::1")
        .Map("linklocal6.example.com", "fe80::1")
        .Map("mapped.example.com", "::ffff:127.0.0.1")
        .Map("nat64.example.com", "64:ff9b::a00:1")
        .Map("sixtofour.example.com", "2002:c0a8:0101::1")
        .Map("multicast6.example.com", "ff02::1")
        .Map("unspecified6.example.com", "::")
        .Map("docs.example.com", "192.0.2.10")
        .Map("mixed.example.com", "93.184.216.34", "10.0.0.1")
        .Map("public.example.com", "93.184.216.34");

    public static TheoryData<string, string> HostileUrls => new()
    {
        // not an absolute http(s) URL
        { "", "absolute http" },
        { "not a url", "absolute http" },
        { "/relative/path", "absolute http" },
        { "ftp://public.example.com/file", "absolute http" },
        { "file:///etc/passwd", "absolute http" },
        { "gopher://public.example.com:70/", "absolute http" },
        { "javascript:alert(1)", "absolute http" },
        // IP literals in every notation
        { "http://127.0.0.1/hook", "IP address" },
        { "http://2130706433/hook", "IP address" },
        { "http://0x7f000001/hook", "IP address" },
        { "http://0x7f.0.0.1/hook", "IP address" },
        { "http://0177.0.0.1/hook", "IP address" },
        { "http://127.1/hook", "IP address" },
        { "http://127.0.1/hook", "IP address" },
        { "http://0/hook", "IP address" },
        { "http://10.0.0.1/hook", "IP address" },
        { "http://169.254.169.254/latest/meta-data/", "IP address" },
        { "http://93.184.216.34/hook", "IP address" },
        { "http://[::1]/hook", "IP address" },
        { "http://[::ffff:127.0.0.1]/hook", "IP address" },
        { "http://[::ffff:7f00:1]/hook", "IP address" },
        { "http://[fe80::1%25eth0]/hook", "IP address" },
        { "http://[2606:4700::1111]/hook", "IP address" },
        // localhost and single-label names
        { "http://localhost/hook", "localhost" },
        { "http://LOCALHOST:8080/hook", "localhost" },
        { "http://localhost./hook", "localhost" },
        { "http://api.localhost/hook", "localhost" },
        { "http://intranet/hook", "single-label" },
        { "http://jenkins:8080/hook", "single-label" },
        // longer than DNS allows
        { "https://" + string.Join(".", Enumerable.Repeat(new string('a', 49), 6)) + ".com/hook", "not valid in DNS" },
        { "https://" + new string('b', 64) + ".example.com/hook", "not valid in DNS" },
        // credentials in the URL
        { "http://user:pass@public.example.com/hook", "user name or password" },
        // names that do not resolve
        { "http://does-not-exist.example.com/hook", "does not resolve" },
        // names resolving to blocked addresses
        { "http://loopback.example.com/hook", "loopback" },
        { "https://loopback6.example.com/hook", "loopback" },
        { "http://ten.example.com/hook", "private" },
        { "http://oneseventwo.example.com/hook", "private" },
        { "http://oneninetwo.example.com/hook", "private" },
        { "http://metadata.example.com/latest", "metadata" },
        { "http://linklocal.example.com/hook", "link-local" },
        { "http://cgnat.example.com/hook", "carrier-grade NAT" },
        { "http://multicast.example.com/hook", "multicast" },
        { "http://reserved.example.com/hook", "reserved" },
        { "http://broadcast.example.com/hook", "reserved" },
        { "http://zero.example.com/hook", "unspecified" },
        { "http://ula.example.com/hook", "private" },
        { "http://linklocal6.example.com/hook", "link-local" },
        { "http://mapped.example.com/hook", "loopback" },
        { "http://nat64.example.com/hook", "private" },
        { "http://sixtofour.example.com/hook", "private" },
        { "http://multicast6.example.com/hook", "multicast" },
        { "http://unspecified6.example.com/hook", "unspecified" },
        { "http://docs.example.com/hook", "documentation" },
        { "http://mixed.example.com/hook", "private" },
    };

    [Theory]
    [MemberData(nameof(HostileUrls))]
    public async Task Hostile_url_is_refused_at_save_time_with_the_reason(string url, string reason)
    {
        var guard = Guard(HostileDns());

        var ex = await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync(url));

        Assert.Contains(reason, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("https://public.example.com/hooks/build")]
    [InlineData("http://public.example.com:8080/hook?x=1")]
    [InlineData("https://api.github.com/repos/o/r/dispatches")]
    [InlineData("https://hooks.slack.com/services/T000/B000/XXXX")]
    [InlineData("https://v6only.example.org/hook")]
    [InlineData("https://PUBLIC.example.com./hook")]
    public async Task Legitimate_url_is_accepted(string url)
    {
        var dns = new FakeHostResolver()
            .Map("public.example.com", "93.184.216.34")
            .Map("api.github.com", "140.82.112.6")
            .Map("hooks.slack.com", "34.226.36.38", "54.85.10.20")
            .Map("v6only.example.org", "2606:4700:4700::1111");

        var uri = await Guard(dns).ValidateUrlAsync(url);

        Assert.True(uri.IsAbsoluteUri);
    }

    [Fact]
    public async Task Private_networks_switch_allows_rfc1918_but_not_loopback_or_metadata()
    {
        var guard = Guard(HostileDns(), new OutboundOptions { AllowPrivateNetworks = true });

        await guard.ValidateUrlAsync("http://ten.example.com/hook");
        await guard.ValidateUrlAsync("http://ula.example.com/hook");
        await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("http://loopback.example.com/hook"));
        await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("http://metadata.example.com/hook"));
        await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("http://127.0.0.1/hook"));
    }

    [Fact]
    public async Task Allowlist_opens_only_the_named_host_and_never_ip_literals()
    {
        var dns = HostileDns().Map("jenkins.corp", "10.9.9.9").Map("other.corp", "10.9.9.8");
        var guard = Guard(dns, new OutboundOptions { AllowedHosts = ["jenkins.corp"] });

        await guard.ValidateUrlAsync("https://jenkins.corp/hook");
        await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("https://other.corp/hook"));
        await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("https://10.9.9.9/hook"));
    }

    [Fact]
    public async Task Allowlisted_host_still_cannot_reach_the_metadata_service()
    {
        var dns = new FakeHostResolver().Map("evil.corp", "169.254.169.254");
        var guard = Guard(dns, new OutboundOptions { AllowedHosts = ["evil.corp"] });

        var ex = await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("http://evil.corp/"));
        Assert.Contains("metadata", ex.Message);
    }

    [Fact]
    public async Task Connect_time_check_blocks_a_name_that_rebinds_to_loopback_after_save()
    {
        // Public when the webhook is saved, loopback when the client connects.
        var dns = new FakeHostResolver().MapSequence("rebind.example.com", ["93.184.216.34"], ["127.0.0.1"]);
        var options = new OutboundOptions { ConnectTimeout = TimeSpan.FromSeconds(2) };
        var guard = Guard(dns, options);
        await guard.ValidateUrlAsync("http://rebind.example.com/hook");
        await using var receiver = await LoopbackReceiver.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync, UseProxy = false, AllowAutoRedirect = false });

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://rebind.example.com:{receiver.Port}/hook", new StringContent("{}")));

        Assert.IsType<OutboundBlockedException>(ex.InnerException);
        Assert.Contains("loopback", ex.InnerException!.Message);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Connect_time_check_refuses_ip_literal_hosts_even_when_the_url_skipped_validation()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var guard = Guard(new FakeHostResolver(), new OutboundOptions { AllowedHosts = ["localhost"] });
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync, UseProxy = false });

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{receiver.Port}/"));

        Assert.IsType<OutboundBlockedException>(ex.InnerException);
        Assert.Empty(receiver.Received);
    }

    [Theory]
    [InlineData("http://localhost/hook")]
    [InlineData("http://loopback.example.com/hook")]
    [InlineData("http://jenkins:8080/hook")]
    public async Task A_refusal_of_an_internal_host_tells_the_operator_which_setting_allows_it(string url)
    {
        var ex = await Assert.ThrowsAsync<OutboundBlockedException>(() => Guard(HostileDns()).ValidateUrlAsync(url));

        Assert.Contains("Outbound:AllowedHosts", ex.Message);
    }

    [Fact]
    public async Task A_host_name_longer_than_dns_allows_is_refused_before_any_lookup_by_the_real_resolver()
    {
        var guard = new UrlGuard(new DnsHostResolver(), new StaticOptions(new OutboundOptions()));

        var ex = await Assert.ThrowsAsync<OutboundBlockedException>(() => guard.ValidateUrlAsync("https://" + string.Join(".", Enumerable.Repeat(new string('a', 60), 5)) + ".example.com/"));

        Assert.Contains("not valid in DNS", ex.Message);
    }

    [Theory]
    [InlineData("localhost", new[] { "localhost" })]
    [InlineData("jenkins.internal, localhost", new[] { "jenkins.internal", "localhost" })]
    public void Allowed_hosts_accept_one_comma_separated_value_as_operators_type_it(string value, string[] expected)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddCommandLine([$"--Outbound:AllowedHosts={value}"]).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddGuardedHttpClient(configuration);
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);

        var options = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IOptions<OutboundOptions>>(provider).Value;

        Assert.Equal(expected, options.AllowedHosts);
    }

    [Fact]
    public void Allowed_hosts_still_bind_as_an_array()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Outbound:AllowedHosts:0"] = "a.internal", ["Outbound:AllowedHosts:1"] = "b.internal" }).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddGuardedHttpClient(configuration);
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);

        var options = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IOptions<OutboundOptions>>(provider).Value;

        Assert.Equal(["a.internal", "b.internal"], options.AllowedHosts);
    }

    private sealed class StaticOptions(OutboundOptions value) : IOptionsMonitor<OutboundOptions>
    {
        public OutboundOptions CurrentValue => value;

        public OutboundOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<OutboundOptions, string?> listener) => null;
    }
}
