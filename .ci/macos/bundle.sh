#!/usr/bin/env bash
# bundle.sh EXECUTABLE OUT.app — makes the macOS app bundle around a sealdesk executable built on
# a Mac (`make macos`): Contents/Info.plist from FyneApp.toml (Name, ID, Version, Build, the
# languages, and the [Release] Mac* values), Contents/Resources/icon.icns generated from the
# icon FyneApp.toml names (assets/iconpack: PNG elements, the same bytes every time), and the
# executable in Contents/MacOS. It runs anywhere (TestMacBundle checks it on Linux); only the
# executable and the code signature need a Mac.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bundle.sh EXECUTABLE OUT.app" >&2; exit 2; }
exe=$1 app=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
toml=$root/FyneApp.toml
# value SECTION KEY: a string or number from FyneApp.toml ("" for the top level)
value() {
	awk -v want="$1" -v key="$2" '
		/^\[/ { sect = substr($0, 2, index($0, "]") - 2); next }
		sect == want {
			line = $0; sub(/^[ \t]+/, "", line)
			if (index(line, key " ") == 1 || index(line, key "=") == 1) {
				sub(/^[^=]*=[ \t]*/, "", line); gsub(/^"|"[ \t]*$/, "", line); print line; exit
			}
		}' "$toml"
}
xml() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' <<<"$1"; }
name=$(value Details Name) id=$(value Details ID) version=$(value Details Version) build=$(value Details Build)
icon=$(value Details Icon)
minos=$(value Release MacMinimumSystemVersion) category=$(value Release MacCategory) copyright=$(value Release Copyright)
langs=$(sed -n 's/^Languages *= *\[\(.*\)\]/\1/p' "$toml" | tr -d '" ' | tr ',' ' ')
for v in name id version build icon; do
	[ -n "${!v}" ] || { echo "bundle.sh: FyneApp.toml has no $v" >&2; exit 1; }
done
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp "$exe" "$app/Contents/MacOS/sealdesk"
chmod 755 "$app/Contents/MacOS/sealdesk"
(cd "$root" && go run ./assets/iconpack/mkicons.go -src "$icon" -icns "$app/Contents/Resources/icon.icns")
printf 'APPL????' >"$app/Contents/PkgInfo"
{
	cat <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleName</key><string>$(xml "$name")</string>
	<key>CFBundleDisplayName</key><string>$(xml "$name")</string>
	<key>CFBundleIdentifier</key><string>$(xml "$id")</string>
	<key>CFBundleExecutable</key><string>sealdesk</string>
	<key>CFBundleIconFile</key><string>icon.icns</string>
	<key>CFBundlePackageType</key><string>APPL</string>
	<key>CFBundleInfoDictionaryVersion</key><string>6.0</string>
	<key>CFBundleShortVersionString</key><string>$(xml "$version")</string>
	<key>CFBundleVersion</key><string>$(xml "$build")</string>
	<key>CFBundleDevelopmentRegion</key><string>$(xml "${langs%% *}")</string>
	<key>CFBundleLocalizations</key>
	<array>
PLIST
	for l in $langs; do printf '\t\t<string>%s</string>\n' "$(xml "$l")"; done
	cat <<PLIST
	</array>
	<key>LSMinimumSystemVersion</key><string>$(xml "${minos:-11.0}")</string>
	<key>LSApplicationCategoryType</key><string>$(xml "${category:-public.app-category.business}")</string>
	<key>NSHumanReadableCopyright</key><string>$(xml "$copyright")</string>
	<key>NSHighResolutionCapable</key><true/>
	<key>NSSupportsAutomaticGraphicsSwitching</key><true/>
</dict>
</plist>
PLIST
} >"$app/Contents/Info.plist"
echo "bundle.sh: wrote $app ($name $version build $build)"
