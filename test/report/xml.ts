/**
 * A strict little XML reader for tests: enough to say whether an SVG is well-formed (every tag
 * closed in order, attributes quoted and not repeated, text without stray < or &) and to walk its
 * elements. No browser, no dependency.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;

export function parseXml(text: string): XmlElement {
  let i = 0;
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  const fail = (why: string): never => {
    throw new Error(`not well-formed at ${i}: ${why} (…${text.slice(Math.max(0, i - 40), i + 40)}…)`);
  };
  const checkText = (t: string) => {
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(t)) fail('bare & in text');
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      checkText(text.slice(i));
      if (text.slice(i).trim() !== '' && stack.length === 1) fail('text after the root element');
      break;
    }
    checkText(text.slice(i, lt));
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) fail('unclosed comment');
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) fail('unclosed processing instruction');
      i = end + 2;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0) fail('unclosed CDATA');
      i = end + 3;
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> closes <${open?.name}>`);
      i = end + 1;
    } else {
      const m = /^<([^\s/>]+)/.exec(text.slice(i));
      if (!m || !NAME.test(m[1])) fail('bad tag name');
      const el: XmlElement = { name: m![1], attrs: {}, children: [] };
      i += m![0].length;
      for (;;) {
        const ws = /^\s*/.exec(text.slice(i))![0];
        i += ws.length;
        if (text.startsWith('/>', i)) {
          i += 2;
          stack[stack.length - 1].children.push(el);
          break;
        }
        if (text[i] === '>') {
          i += 1;
          stack[stack.length - 1].children.push(el);
          stack.push(el);
          break;
        }
        if (ws === '') fail('attributes must be separated by white space');
        const a = /^([^\s=/>]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(i));
        if (!a || !NAME.test(a[1])) fail('unquoted or malformed attribute');
        if (Object.hasOwn(el.attrs, a![1])) fail(`repeated attribute ${a![1]}`);
        const value = a![3] ?? a![4];
        checkText(value);
        el.attrs[a![1]] = value;
        i += a![0].length;
      }
    }
  }
  if (stack.length !== 1) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (root.children.length !== 1) fail('a document has exactly one root element');
  return root.children[0];
}

export function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}
