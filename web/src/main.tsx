import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import './styles.css';
import { TIME_ZONE } from './lib/format.ts';
import { useSession, useUnit } from './lib/hooks.ts';
import { refreshLive, startLive, stopLive } from './lib/live.ts';
import { FeedBanner, LiveIndicator } from './components/FeedStatus.tsx';
import { href, useRoute, type Route } from './lib/router.ts';
import { endSession, setUnit, type Session } from './lib/session.ts';
import { LoginPage } from './pages/Login.tsx';
import { CustomerHome } from './pages/CustomerHome.tsx';
import { FacilitiesPage, FacilityDetailPage } from './pages/Facilities.tsx';
import { UnitsPage } from './pages/Units.tsx';
import { UnitDetailPage } from './pages/UnitDetail.tsx';
import { AnalyticsPage } from './pages/Analytics.tsx';
import { SettingsPage } from './pages/Settings.tsx';
import { HealthPage } from './pages/Health.tsx';
import { AdminOverview } from './pages/admin/Overview.tsx';
import { AdminCustomers, AdminCustomerDetail } from './pages/admin/Customers.tsx';
import { AdminFacilities } from './pages/admin/Facilities.tsx';
import { AdminConfig } from './pages/admin/Config.tsx';
import { AdminIngestion } from './pages/admin/Ingestion.tsx';
import { AdminAlarms } from './pages/admin/Alarms.tsx';
import { AlarmsPage } from './pages/Alarms.tsx';
import { AlarmDetailPage } from './pages/AlarmDetail.tsx';
import { NotificationSettingsPage } from './pages/NotificationSettings.tsx';
import { OpenAlarmCount } from './components/AlarmBadge.tsx';
import { lazyPage } from './lib/lazy.tsx';

// Rarely used pages load on first visit, in their own chunk.
const AuditPage = lazyPage(() => import('./pages/Audit.tsx').then((m) => m.AuditPageView));

interface NavItem {
  path: string;
  label: string;
}

const CUSTOMER_NAV: NavItem[] = [
  { path: '/', label: 'Dashboard' },
  { path: '/facilities', label: 'Facilities' },
  { path: '/units', label: 'Units' },
  { path: '/alarms', label: 'Alarms' },
  { path: '/analytics', label: 'Analytics' },
  { path: '/audit', label: 'Audit trail' },
  { path: '/settings', label: 'Settings' },
  { path: '/health', label: 'System health' },
];

const ADMIN_NAV: NavItem[] = [
  { path: '/admin', label: 'Overview' },
  { path: '/admin/customers', label: 'Customers' },
  { path: '/admin/facilities', label: 'Facilities' },
  { path: '/admin/alarms', label: 'Alarms' },
  { path: '/admin/config', label: 'Configuration' },
  { path: '/admin/ingestion', label: 'Ingestion logs' },
  { path: '/admin/audit', label: 'Audit trail' },
  { path: '/health', label: 'System health' },
];

const isCurrent = (item: string, path: string) =>
  item === '/' || item === '/admin' ? path === item : path === item || path.startsWith(`${item}/`);

const NotFound = () => (
  <div class="card">
    <h1>Page not found</h1>
    <p>
      <a href="#/">Back to the start page</a>
    </p>
  </div>
);

const customerPage = (r: Route) => {
  const [a, b] = r.parts;
  if (!a) return <CustomerHome />;
  if (a === 'facilities') return b ? <FacilityDetailPage id={b} /> : <FacilitiesPage />;
  if (a === 'units') return b ? <UnitDetailPage id={b} route={r} /> : <UnitsPage route={r} />;
  if (a === 'alarms') return b ? <AlarmDetailPage id={b} /> : <AlarmsPage route={r} />;
  if (a === 'notifications') return <NotificationSettingsPage />;
  if (a === 'analytics') return <AnalyticsPage route={r} />;
  if (a === 'audit') return <AuditPage route={r} />;
  if (a === 'settings') return <SettingsPage />;
  if (a === 'health') return <HealthPage />;
  return <NotFound />;
};

const adminPage = (r: Route) => {
  const [a, b, c] = r.parts;
  if (a === 'health') return <HealthPage />;
  if (a !== 'admin') return <AdminOverview />;
  if (!b) return <AdminOverview />;
  if (b === 'customers') return c ? <AdminCustomerDetail id={c} /> : <AdminCustomers />;
  if (b === 'facilities') return <AdminFacilities route={r} />;
  if (b === 'alarms') return <AdminAlarms route={r} />;
  if (b === 'config') return <AdminConfig />;
  if (b === 'ingestion') return <AdminIngestion route={r} />;
  if (b === 'audit') return <AuditPage route={r} admin />;
  return <NotFound />;
};

const UnitToggle = () => {
  const unit = useUnit();
  return (
    <div class="unit-toggle" role="group" aria-label="Temperature unit">
      {(['C', 'F'] as const).map((u) => (
        <button
          key={u}
          type="button"
          class={unit === u ? 'active' : ''}
          aria-pressed={unit === u}
          data-testid={`unit-${u}`}
          onClick={() => {
            setUnit(u);
            refreshLive();
          }}
        >
          °{u}
        </button>
      ))}
    </div>
  );
};

const Shell = ({ session, route }: { session: Session; route: Route }) => {
  const nav = session.role === 'admin' ? ADMIN_NAV : CUSTOMER_NAV;
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    if (session.role === 'customer') startLive();
    return () => stopLive();
  }, [session.role]);
  // Move focus to the page on navigation (not on first load) so keyboard and screen-reader users
  // land on the new content instead of the link they used.
  const firstPath = useRef(true);
  useEffect(() => {
    if (firstPath.current) {
      firstPath.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    scrollTo(0, 0);
  }, [route.path]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={session.role === 'admin' ? '#/admin' : '#/'}>
          <span aria-hidden="true">❄</span> tms
        </a>
        <span class="tz" title="Times are shown in this time zone" data-testid="tz">
          {TIME_ZONE}
        </span>
        <LiveIndicator />
        <OpenAlarmCount admin={session.role === 'admin'} />
        <span class="spacer" />
        <UnitToggle />
        <span class="who" data-testid="who">
          {session.role === 'admin' ? 'Administrator' : session.name}
        </span>
        <button
          type="button"
          class="btn btn-small"
          data-testid="logout"
          onClick={() => endSession('You have been signed out.')}
        >
          Log out
        </button>
      </header>
      <nav class="mainnav" aria-label="Main">
        <ul>
          {nav.map((n) => (
            <li key={n.path}>
              <a href={href(n.path)} aria-current={isCurrent(n.path, route.path) ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {session.role === 'customer' && <FeedBanner />}
        {session.role === 'admin' ? adminPage(route) : customerPage(route)}
      </main>
    </>
  );
};

const App = () => {
  const session = useSession();
  const route = useRoute();
  if (!session) return <LoginPage />;
  return <Shell session={session} route={route} />;
};

const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading…" placeholder
render(<App />, root);
