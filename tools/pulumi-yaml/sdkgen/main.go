// Command sdkgen writes the TypeScript, Go and C# SDKs of a Pulumi package schema with Pulumi's own
// code generators (pkg/v3/codegen/nodejs, go and dotnet at the version this module pins), the
// packages the languages' hosts run for `pulumi package gen-sdk`. Those hosts
// (pulumi-language-nodejs, -go, -dotnet) are not served by the Go module proxy reachable here, so
// `pulumi package gen-sdk --language nodejs|go|dotnet` cannot run; this tool runs their generators.
//
// Usage: sdkgen SCHEMA_JSON OUT_DIR  (writes OUT_DIR/nodejs, OUT_DIR/go, OUT_DIR/dotnet)
package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"

	dotnetgen "github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen SCHEMA_JSON OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}

func blankLogo() (string, error) {
	file, err := os.CreateTemp("", "sdkgen-logo-*.png")
	if err != nil {
		return "", err
	}
	defer file.Close()
	if err := png.Encode(file, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		return "", err
	}
	return file.Name(), nil
}

func run(schemaPath, out string) error {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	languages := map[string]schema.Language{
		"nodejs": nodejsgen.Importer, "go": gogen.Importer, "csharp": dotnetgen.Importer,
	}
	pkg, err := schema.ImportSpec(spec, languages, schema.ValidationOptions{})
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if pkg.LogoURL == "" {
		// The C# generator downloads a logo (by default from raw.githubusercontent.com); offline,
		// it gets a blank one from a local file instead.
		logo, err := blankLogo()
		if err != nil {
			return err
		}
		defer os.Remove(logo)
		http.DefaultTransport.(*http.Transport).RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
		pkg.LogoURL = "file://" + logo
	}
	generators := map[string]func() (map[string][]byte, error){
		"nodejs": func() (map[string][]byte, error) {
			return nodejsgen.GeneratePackage("sdkgen", pkg, nil, nil, false, nil)
		},
		"go":     func() (map[string][]byte, error) { return gogen.GeneratePackage("sdkgen", pkg, nil) },
		"dotnet": func() (map[string][]byte, error) { return dotnetgen.GeneratePackage("sdkgen", pkg, nil, nil) },
	}
	for _, language := range []string{"nodejs", "go", "dotnet"} {
		files, err := generators[language]()
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		for name, body := range files {
			path := filepath.Join(out, language, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, body, 0o644); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d files\n", language, len(files))
	}
	return nil
}
