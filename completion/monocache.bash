# monocache.bash — bash completion for monocache(1): commands, each
# command's options (as its --help lists them), cache ids under the root
# (from `monocache ls`), files where a path is taken. Installed by make
# install into $(DATADIR)/bash-completion/completions/monocache.

_monocache_ids() {
    local root=()
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            --root) root=(--root "${COMP_WORDS[i + 1]}") ;;
            --root=*) root=("${COMP_WORDS[i]}") ;;
        esac
    done
    monocache ls "${root[@]}" 2> /dev/null | awk 'NR > 1 { print $1 }'
}

# The options a command's --help lists.
_monocache_options() {
    monocache "$1" --help 2> /dev/null | grep -oE '(^| |\[)--[a-z0-9-]+' | tr -d ' [' | sort -u
}

_monocache() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="run ls meta lock unlock holders gc rm push pull preload-path"
    local command=""
    local i

    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [ -z "$command" ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case $prev in
        --root|--existing)
            COMPREPLY=($(compgen -d -- "$cur"))
            [ "$prev" = --existing ] && COMPREPLY+=($(compgen -W "$(_monocache_ids)" -- "$cur"))
            return ;;
        --redis|--s3|--meta|--export|--get|--name)
            return ;;
    esac
    if [ "$command" = run ]; then
        for ((i = i + 1; i < COMP_CWORD; i++)); do
            if [ "${COMP_WORDS[i]}" = -- ]; then
                COMPREPLY=($(compgen -c -- "$cur"))
                return
            fi
        done
    fi
    case $cur in
        -*) COMPREPLY=($(compgen -W "$(_monocache_options "$command")" -- "$cur")) ;;
        */*) COMPREPLY=($(compgen -d -- "$cur")) ;;
        *)
            case $command in
                meta|lock|unlock|holders|rm|push)
                    COMPREPLY=($(compgen -W "$(_monocache_ids)" -- "$cur")) ;;
            esac ;;
    esac
}

complete -F _monocache monocache
