// Command otelcol is the OpenTelemetry Collector distribution the Sluice benchmarks compare
// against. It is laid out as the Collector Builder lays out a distribution: components()
// lists the factories, main() hands them to otelcol.NewCommand with the env, file and yaml
// config providers. build-otelcol.sh (one directory up) builds and caches it.
//
// Core modules are at v0.148.0 (the stable ones at v1.54.0) and contrib modules at
// v0.148.0: the release at which every component below resolves from the module proxy.
package main

import (
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	// receivers
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver"
	"go.opentelemetry.io/collector/receiver/nopreceiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	// processors
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/attributesprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/filterprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/probabilisticsamplerprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/resourceprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"

	// exporters
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusremotewriteexporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/nopexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"

	// connectors
	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"

	// extensions
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/pprofextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
)

const version = "0.148.0-sluice-bench"

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-sluice-bench",
			Description: "OpenTelemetry Collector distribution for the Sluice benchmarks",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
		// The module of each config provider, by URI scheme, for the `components` subcommand.
		ProviderModules: map[string]string{
			"env":  "go.opentelemetry.io/collector/confmap/provider/envprovider v1.54.0",
			"file": "go.opentelemetry.io/collector/confmap/provider/fileprovider v1.54.0",
			"yaml": "go.opentelemetry.io/collector/confmap/provider/yamlprovider v1.54.0",
		},
	}
	// cobra prints the error itself.
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		os.Exit(1)
	}
}

// deprecatedAlias is implemented by factories that still answer to an old type name
// (the OTLP exporters: otlp_grpc is also otlp, otlp_http also otlphttp).
type deprecatedAlias interface{ DeprecatedAlias() component.Type }

// moduleMap names the Go module of each component type (by the type's name), aliases
// included, as the Collector reports it in its `components` subcommand. (At v0.148.0 that
// subcommand leaves out factories that carry a deprecated alias: the two OTLP exporters are
// built in and work, as otlp_grpc/otlp and otlp_http/otlphttp, but are not listed.)
func moduleMap[T component.Factory](factories map[component.Type]T, byName map[string]string) map[component.Type]string {
	modules := make(map[component.Type]string, len(factories))
	for t, f := range factories {
		modules[t] = byName[t.String()]
		if a, ok := any(f).(deprecatedAlias); ok && a.DeprecatedAlias().String() != "" {
			modules[a.DeprecatedAlias()] = modules[t]
		}
	}
	return modules
}

func components() (otelcol.Factories, error) {
	var err error
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}

	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		filestorage.NewFactory(),
		healthcheckextension.NewFactory(),
		pprofextension.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
		nopreceiver.NewFactory(),
		prometheusreceiver.NewFactory(),
		filelogreceiver.NewFactory(),
		kafkareceiver.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		batchprocessor.NewFactory(),
		memorylimiterprocessor.NewFactory(),
		tailsamplingprocessor.NewFactory(),
		probabilisticsamplerprocessor.NewFactory(),
		attributesprocessor.NewFactory(),
		resourceprocessor.NewFactory(),
		filterprocessor.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlpexporter.NewFactory(),
		otlphttpexporter.NewFactory(),
		nopexporter.NewFactory(),
		debugexporter.NewFactory(),
		fileexporter.NewFactory(),
		prometheusremotewriteexporter.NewFactory(),
		prometheusexporter.NewFactory(),
		kafkaexporter.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Connectors, err = otelcol.MakeFactoryMap[connector.Factory](
		spanmetricsconnector.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}

	const core, contrib = "go.opentelemetry.io/collector/", "github.com/open-telemetry/opentelemetry-collector-contrib/"
	f.ReceiverModules = moduleMap(f.Receivers, map[string]string{
		"otlp": core + "receiver/otlpreceiver", "nop": core + "receiver/nopreceiver",
		"prometheus": contrib + "receiver/prometheusreceiver", "filelog": contrib + "receiver/filelogreceiver",
		"kafka": contrib + "receiver/kafkareceiver",
	})
	f.ProcessorModules = moduleMap(f.Processors, map[string]string{
		"batch": core + "processor/batchprocessor", "memory_limiter": core + "processor/memorylimiterprocessor",
		"tail_sampling":         contrib + "processor/tailsamplingprocessor",
		"probabilistic_sampler": contrib + "processor/probabilisticsamplerprocessor",
		"attributes":            contrib + "processor/attributesprocessor",
		"resource":              contrib + "processor/resourceprocessor",
		"filter":                contrib + "processor/filterprocessor",
	})
	f.ExporterModules = moduleMap(f.Exporters, map[string]string{
		"otlp_grpc": core + "exporter/otlpexporter", "otlp_http": core + "exporter/otlphttpexporter",
		"nop": core + "exporter/nopexporter", "debug": core + "exporter/debugexporter",
		"file":                  contrib + "exporter/fileexporter",
		"prometheusremotewrite": contrib + "exporter/prometheusremotewriteexporter",
		"prometheus":            contrib + "exporter/prometheusexporter",
		"kafka":                 contrib + "exporter/kafkaexporter",
	})
	f.ConnectorModules = moduleMap(f.Connectors, map[string]string{
		"spanmetrics": contrib + "connector/spanmetricsconnector",
	})
	f.ExtensionModules = moduleMap(f.Extensions, map[string]string{
		"file_storage": contrib + "extension/storage",
		"health_check": contrib + "extension/healthcheckextension",
		"pprof":        contrib + "extension/pprofextension",
	})
	return f, nil
}
