// The segment editor on /segments/new, /segments/{id}/edit and /segments/{id}/duplicate.
// It keeps the rule tree in the form's hidden Input.Rules field (the server validates it on save)
// and asks the page's Preview handler for the audience size, a sample, the tree's mistakes and its
// plain-English reading as the user edits. Text from the server or the user goes in with textContent only.
"use strict";

(() => {
    const dataBlock = document.getElementById("segment-editor-data");
    const form = document.getElementById("segment-form");
    if (!dataBlock || !form) {
        return;
    }
    const data = JSON.parse(dataBlock.textContent);
    const fields = new Map(data.fields.map((f) => [f.name, f]));
    const rulesInput = form.querySelector("input[name='Input.Rules']");
    const token = form.querySelector("input[name='__RequestVerificationToken']").value;
    const treeHost = document.getElementById("segment-tree");
    const rootErrors = document.getElementById("segment-root-errors");
    const countOut = document.getElementById("preview-count");
    const englishOut = document.getElementById("preview-english");
    const statusOut = document.getElementById("preview-status");
    const sampleTable = document.getElementById("preview-sample");
    const preview = document.getElementById("segment-preview");
    const debounceMs = 300;

    // --- The model: groups {kind, op, not, rules} and rules {kind, field, operator, a, b} (a and b: the inputs' text).

    const newRule = () => {
        const field = data.fields[0];
        return { kind: "rule", field: field.name, operator: field.operators[0].name, a: "", b: "" };
    };
    const newGroup = () => ({ kind: "group", op: "and", not: false, rules: [newRule()] });

    const text = (value) => (value === null || value === undefined ? "" : String(value));

    function load(json) {
        if (json && typeof json === "object" && Array.isArray(json.rules)) {
            return {
                kind: "group",
                op: json.op === "or" ? "or" : "and",
                not: json.not === true,
                rules: json.rules.map(load),
            };
        }
        const rule = { kind: "rule", field: "", operator: "", a: "", b: "" };
        if (json && typeof json === "object") {
            rule.field = fields.has(json.field) ? json.field : data.fields[0].name;
            const field = fields.get(rule.field);
            rule.operator = field.operators.some((o) => o.name === json.operator) ? json.operator : field.operators[0].name;
            if (Array.isArray(json.value)) {
                if (kindOf(rule) === "list") {
                    rule.a = json.value.map(text).join(", ");
                } else {
                    rule.a = text(json.value[0]);
                    rule.b = text(json.value[1]);
                }
            } else {
                rule.a = text(json.value);
            }
        }
        return rule;
    }

    const operatorOf = (rule) => fields.get(rule.field).operators.find((o) => o.name === rule.operator);
    const kindOf = (rule) => operatorOf(rule).value;

    // A number the server can read, or the text as typed so that the server says what is wrong with it.
    const number = (s) => {
        const trimmed = s.trim();
        if (trimmed === "") {
            return null;
        }
        const n = Number(trimmed.replaceAll(",", ""));
        return Number.isFinite(n) ? n : trimmed;
    };
    const day = (s) => (s === "" ? null : s);

    function toJson(node) {
        if (node.kind === "group") {
            const group = { op: node.op, rules: node.rules.map(toJson) };
            if (node.not) {
                group.not = true;
            }
            return group;
        }
        const rule = { field: node.field, operator: node.operator };
        switch (kindOf(node)) {
            case "none":
                break;
            case "list":
                rule.value = node.a.split(",").map((s) => s.trim()).filter((s) => s !== "");
                break;
            case "number":
            case "days":
                rule.value = number(node.a);
                break;
            case "range":
                rule.value = [number(node.a), number(node.b)];
                break;
            case "date":
                rule.value = day(node.a);
                break;
            case "dates":
                rule.value = [day(node.a), day(node.b)];
                break;
            default:
                rule.value = node.a;
        }
        return rule;
    }

    let tree = load(data.rules);
    if (tree.kind !== "group") {
        tree = { kind: "group", op: "and", not: false, rules: [tree] };
    }
    if (data.rules === null) {
        tree.rules = [newRule()];
    }

    // --- Rendering. Paths are the parser's: "group 2, rule 3", so that its errors find their node.

    const errorSlots = new Map();

    const el = Crm.el;

    function button(label, className, onClick, ariaLabel) {
        const b = el("button", className, label);
        b.type = "button";
        if (ariaLabel) {
            b.setAttribute("aria-label", ariaLabel);
            b.title = ariaLabel;
        }
        b.addEventListener("click", onClick);
        return b;
    }

    const childPath = (path, node, index) => {
        const own = `${node.kind === "group" ? "group" : "rule"} ${index + 1}`;
        return path === "" ? own : `${path}, ${own}`;
    };

    function changed({ rerender }) {
        if (rerender) {
            render();
        }
        rulesInput.value = JSON.stringify(toJson(tree));
        schedulePreview();
    }

    function moveControls(parent, index, noun) {
        const list = parent.rules;
        const wrap = el("div", "btn-group btn-group-sm");
        const up = button("↑", "btn btn-outline-secondary", () => {
            [list[index - 1], list[index]] = [list[index], list[index - 1]];
            changed({ rerender: true });
        }, `Move ${noun} up`);
        up.disabled = index === 0;
        const down = button("↓", "btn btn-outline-secondary", () => {
            [list[index + 1], list[index]] = [list[index], list[index + 1]];
            changed({ rerender: true });
        }, `Move ${noun} down`);
        down.disabled = index === list.length - 1;
        const remove = button("✕", "btn btn-outline-danger", () => {
            list.splice(index, 1);
            changed({ rerender: true });
        }, `Remove ${noun}`);
        wrap.append(up, down, remove);
        return wrap;
    }

    function renderGroup(group, path, depth, parent, index) {
        const box = el("div", depth === 1 ? "segment-group segment-root" : "segment-group");
        box.dataset.path = path === "" ? "root" : path;
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", path === "" ? "All rules" : path);

        const header = el("div", "segment-group-header");
        const ops = el("div", "btn-group btn-group-sm");
        ops.setAttribute("role", "group");
        ops.setAttribute("aria-label", "Combine with");
        for (const op of ["and", "or"]) {
            const b = button(op.toUpperCase(), group.op === op ? "btn btn-secondary" : "btn btn-outline-secondary", () => {
                group.op = op;
                changed({ rerender: true });
            });
            b.setAttribute("aria-pressed", String(group.op === op));
            b.title = op === "and" ? "Customers who match all of these" : "Customers who match any of these";
            ops.append(b);
        }
        const notLabel = el("label", "form-check form-check-inline mb-0 ms-2");
        const not = el("input", "form-check-input");
        not.type = "checkbox";
        not.checked = group.not;
        not.addEventListener("change", () => {
            group.not = not.checked;
            box.classList.toggle("segment-not", group.not);
            changed({ rerender: false });
        });
        notLabel.append(not, el("span", "form-check-label", "NOT (everyone except these)"));
        header.append(ops, notLabel);
        if (parent) {
            header.append(el("span", "flex-grow-1"), moveControls(parent, index, "group"));
        }
        box.classList.toggle("segment-not", group.not);
        box.append(header);

        const errors = el("div", "segment-errors text-danger small");
        errors.setAttribute("role", "alert");
        errorSlots.set(path, errors);
        box.append(errors);

        const children = el("div", "segment-children");
        group.rules.forEach((child, i) => {
            children.append(child.kind === "group"
                ? renderGroup(child, childPath(path, child, i), depth + 1, group, i)
                : renderRule(child, childPath(path, child, i), depth, group, i));
        });
        if (group.rules.length === 0) {
            children.append(el("p", "small text-body-secondary mb-0", "No rules in this group yet."));
        }
        box.append(children);

        const footer = el("div", "segment-group-footer d-flex gap-2 mt-2");
        footer.append(button("+ Add rule", "btn btn-sm btn-outline-primary", () => {
            group.rules.push(newRule());
            changed({ rerender: true });
        }));
        const addGroup = button("+ Add group", "btn btn-sm btn-outline-primary", () => {
            group.rules.push(newGroup());
            changed({ rerender: true });
        });
        addGroup.disabled = depth >= data.maxDepth;
        footer.append(addGroup);
        box.append(footer);
        return box;
    }

    function select(label, options, value, onChange) {
        const s = el("select", "form-select form-select-sm w-auto");
        s.setAttribute("aria-label", label);
        for (const [optionValue, optionLabel] of options) {
            const option = el("option", "", optionLabel);
            option.value = optionValue;
            option.selected = optionValue === value;
            s.append(option);
        }
        s.addEventListener("change", () => onChange(s.value));
        return s;
    }

    function valueInput(rule, key, label, type, placeholder) {
        const input = el("input", "form-control form-control-sm segment-value");
        input.type = type;
        input.value = rule[key];
        input.setAttribute("aria-label", label);
        if (placeholder) {
            input.placeholder = placeholder;
        }
        if (type === "number") {
            input.step = "any";
        }
        input.addEventListener("input", () => {
            rule[key] = input.value;
            changed({ rerender: false });
        });
        return input;
    }

    function valueInputs(rule) {
        switch (kindOf(rule)) {
            case "none":
                return [];
            case "list":
                return [valueInput(rule, "a", "Values", "text", "Pune, Mumbai, Delhi")];
            case "number":
                return [valueInput(rule, "a", "Value", "number")];
            case "days":
                return [valueInput(rule, "a", "Days", "number", "days"), el("span", "small", "days")];
            case "range":
                return [valueInput(rule, "a", "From", "number", "from"), el("span", "small", "and"), valueInput(rule, "b", "To", "number", "to")];
            case "date":
                return [valueInput(rule, "a", "Date", "date")];
            case "dates":
                return [valueInput(rule, "a", "From", "date"), el("span", "small", "and"), valueInput(rule, "b", "To", "date")];
            default:
                return [valueInput(rule, "a", "Value", "text")];
        }
    }

    function renderRule(rule, path, depth, parent, index) {
        const row = el("div", "segment-rule");
        row.dataset.path = path;
        row.setAttribute("role", "group");
        row.setAttribute("aria-label", path);
        const line = el("div", "d-flex flex-wrap align-items-center gap-2");
        line.append(
            select("Field", data.fields.map((f) => [f.name, f.label]), rule.field, (value) => {
                const before = fields.get(rule.field);
                rule.field = value;
                const field = fields.get(value);
                if (field.type !== before.type || !field.operators.some((o) => o.name === rule.operator)) {
                    rule.operator = field.operators[0].name;
                    rule.a = "";
                    rule.b = "";
                }
                changed({ rerender: true });
            }),
            select("Operator", fields.get(rule.field).operators.map((o) => [o.name, o.label]), rule.operator, (value) => {
                const before = kindOf(rule);
                rule.operator = value;
                if (kindOf(rule) !== before) {
                    rule.a = "";
                    rule.b = "";
                }
                changed({ rerender: true });
            }),
            ...valueInputs(rule));
        const controls = moveControls(parent, index, "rule");
        controls.classList.add("ms-auto");
        line.append(controls);
        row.append(line);

        if (rule.operator === "more_than_days_ago" && (rule.field === "last_order_at" || rule.field === "first_order_at")) {
            const hint = el("div", "segment-hint small mt-1");
            hint.append(el("span", "", "Customers who never ordered have no order date, so this rule leaves them out. "));
            if (depth < data.maxDepth) {
                hint.append(button("Include customers who never ordered", "btn btn-link btn-sm p-0 align-baseline", () => {
                    parent.rules[index] = {
                        kind: "group",
                        op: "or",
                        not: false,
                        rules: [rule, { kind: "rule", field: rule.field, operator: "is_empty", a: "", b: "" }],
                    };
                    changed({ rerender: true });
                }));
            } else {
                hint.append(el("span", "", "To include them, add “is empty” in an OR group with this rule."));
            }
            row.append(hint);
        }

        const errors = el("div", "segment-errors text-danger small");
        errors.setAttribute("role", "alert");
        errorSlots.set(path, errors);
        row.append(errors);
        return row;
    }

    let shownErrors = data.errors;

    function render() {
        errorSlots.clear();
        treeHost.replaceChildren(renderGroup(tree, "", 1, null, 0));
        showErrors(shownErrors);
    }

    function showErrors(errors) {
        shownErrors = errors;
        rootErrors.replaceChildren();
        for (const slot of errorSlots.values()) {
            slot.replaceChildren();
            slot.closest(".segment-rule, .segment-group").classList.remove("segment-invalid");
        }
        for (const error of errors) {
            const slot = errorSlots.get(error.path);
            if (slot && error.path !== "") {
                slot.append(el("div", "", error.message));
                slot.closest(".segment-rule, .segment-group").classList.add("segment-invalid");
            } else {
                rootErrors.append(el("div", "", error.path === "" ? error.message : `${error.path}: ${error.message}`));
            }
        }
    }

    // --- The live preview: debounced, and an answer to anything but the latest request is dropped.

    let sequence = 0;
    let timer = null;

    function schedulePreview() {
        sequence += 1;
        preview.setAttribute("aria-busy", "true");
        statusOut.textContent = "Updating…";
        clearTimeout(timer);
        timer = setTimeout(() => runPreview(sequence), debounceMs);
    }

    async function runPreview(mine) {
        let answer;
        try {
            answer = await Crm.postJson(form.dataset.previewUrl, { rules: toJson(tree) }, token);
        } catch (failure) {
            if (mine === sequence) {
                preview.removeAttribute("aria-busy");
                statusOut.textContent = `No preview: ${failure.message}`;
            }
            return;
        }
        if (mine !== sequence) {
            return;
        }
        showErrors(answer.errors);
        const tbody = sampleTable.tBodies[0];
        tbody.replaceChildren();
        if (answer.count === null) {
            countOut.textContent = "—";
            englishOut.textContent = "";
            statusOut.textContent = "Fix the rules marked in red to see who they select.";
            sampleTable.classList.add("d-none");
        } else {
            countOut.textContent = answer.countText;
            englishOut.textContent = answer.english;
            statusOut.textContent = answer.count === 0 ? "No customer matches these rules yet." : "";
            for (const c of answer.sample) {
                const row = tbody.insertRow();
                const name = el("a", "", c.name);
                name.href = `/customers/${encodeURIComponent(c.id)}`;
                const who = row.insertCell();
                who.append(name);
                if (c.city !== "") {
                    who.append(el("span", "d-block small text-body-secondary", c.city));
                }
                const spend = row.insertCell();
                spend.className = "text-end";
                spend.textContent = c.totalSpend;
                const orders = row.insertCell();
                orders.className = "text-end";
                orders.textContent = c.orders;
                const last = row.insertCell();
                last.className = "text-nowrap";
                last.textContent = c.lastOrder;
            }
            sampleTable.classList.toggle("d-none", answer.sample.length === 0);
        }
        preview.removeAttribute("aria-busy");
    }

    form.addEventListener("submit", () => {
        rulesInput.value = JSON.stringify(toJson(tree));
    });

    for (const stale of treeHost.querySelectorAll(".server-rule-error")) {
        stale.remove();
    }
    render();
    changed({ rerender: false });
})();
